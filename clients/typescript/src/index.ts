/**
 * Typed client for the Backend API.
 *
 * `schema.ts` is generated from openapi.json by openapi-typescript (`make sdk`); this file is
 * the hand-written entry point: a fetch client (openapi-fetch) typed by that schema, so every
 * path, parameter, body and response is checked by the compiler.
 */
import createClient, { type Middleware } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
export type Schemas = components["schemas"];
export type Item = Schemas["Item"];
export type ItemPage = Schemas["ItemPage"];
export type User = Schemas["User"];
export type ErrorResponse = Schemas["ErrorResponse"];

export interface ClientOptions {
  /** Where the API is served, e.g. `https://api.example.com` (paths already start with /api). */
  baseUrl: string;
  /** A JWT access token or a personal access token, sent as `Authorization: Bearer ...`. */
  token?: string;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof globalThis.fetch;
}

/** A client whose methods (`GET`, `POST`, ...) take the API's paths and are fully typed. */
export function createApiClient(options: ClientOptions) {
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
  if (options.token) {
    const auth: Middleware = {
      onRequest({ request }) {
        request.headers.set("Authorization", `Bearer ${options.token}`);
        return request;
      },
    };
    client.use(auth);
  }
  return client;
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** Seconds to wait before retrying a 429 or 503, from its `Retry-After` header (a number of
 * seconds, or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSeconds(response: Response, now: number = Date.now()): number | undefined {
  const value = response.headers.get("Retry-After")?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** The OAuth2 token request's parameters (`grant_type`, `username`, `password`, ...). */
export type TokenForm =
  operations["oauthToken"]["requestBody"]["content"]["application/x-www-form-urlencoded"];

/** Options for `POST /api/auth/token`: the OAuth2 parameters sent as a form, as RFC 6749
 * wants (openapi-fetch sends JSON unless told otherwise). Spread them into the call. */
export function oauthForm(form: TokenForm) {
  return {
    body: form,
    bodySerializer: (body: TokenForm) =>
      new URLSearchParams(
        Object.entries(body).filter((entry): entry is [string, string] => entry[1] != null),
      ),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  };
}
