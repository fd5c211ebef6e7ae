#!/usr/bin/env bash
# Build the image from the Dockerfile as it is and run it for real, on 127.0.0.1 only:
# health, the doc UIs and their assets, register -> login -> create, the admin's login with
# ADMIN_PASSWORD, metrics behind METRICS_TOKEN, no process as root, code not writable,
# HEALTHCHECK healthy within 20 s, graceful stop within docker's 10 s, data kept across
# `docker restart` on a named volume, no anonymous volume, a clear refusal of a root-owned
# bind mount, and a log without errors or tracebacks. Then it removes everything it started.
#
# Where a Docker daemon already answers (DOCKER_HOST or the default socket), it is used, and so is
# the real python:3.11-slim if it can be pulled. Otherwise (this machine: no container registry)
# it starts a private dockerd that leaves the host's networking alone (no bridge, no iptables,
# no forwarding; containers use --network host and bind 127.0.0.1) and builds a stand-in for
# python:3.11-slim from Debian packages with mmdebstrap (Debian bookworm has Python 3.11).
# Needs root for the private daemon. Takes about 2-3 minutes.
# The container list is kept so that only what this run started is removed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=backend-api:smoke
BASE=python:3.11-slim
NAME=backend-smoke-$$
VOLUME=backend-smoke-data-$$
SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
ADMIN_PASSWORD="smoke-admin-$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')"
METRICS_TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
WORK=$(mktemp -d /tmp/docker-smoke.XXXXXX)
STARTED=$(date +%s)
DOCKERD_PID=""
OWN_BASE=""
CONTAINERS=()

step() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - STARTED))"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

network_state() {
    { ip -o link show; ip -o addr show | sed 's/ *valid_lft.*//'; ip route show; ip -6 route show
      sysctl -n net.ipv4.ip_forward; iptables -S 2>/dev/null || true; } | sed 's/^[0-9]*: //'
}

cleanup() {
    local status=$?
    set +e
    for c in "${CONTAINERS[@]}"; do docker rm -f "$c" >/dev/null 2>&1; done
    if [ -z "$DOCKERD_PID" ]; then  # a private daemon's images and volumes go with its folder
        docker volume rm -f "$VOLUME" >/dev/null 2>&1
        docker image rm -f "$IMAGE" >/dev/null 2>&1
        [ -n "$OWN_BASE" ] && docker image rm -f "$BASE" >/dev/null 2>&1
    fi
    if [ -n "$DOCKERD_PID" ]; then
        kill "$DOCKERD_PID" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
        # dockerd leaves its network namespace (and maybe more) mounted under its exec root
        grep -o " $WORK[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
    fi
    rm -rf "$WORK"
    if [ -f "${NETWORK_BEFORE:-/nonexistent}" ]; then
        if ! diff <(cat "$NETWORK_BEFORE") <(network_state) >/dev/null; then
            echo "WARNING: the host's network configuration changed during the smoke test" >&2
            status=1
        fi
        rm -f "$NETWORK_BEFORE"
    fi
    printf '\n%s in %ss\n' "$([ $status -eq 0 ] && echo 'docker-smoke passed' || echo 'docker-smoke FAILED')" \
        "$(($(date +%s) - STARTED))"
    exit $status
}
trap cleanup EXIT

NETWORK_BEFORE=$(mktemp /tmp/docker-smoke-net.XXXXXX)
network_state >"$NETWORK_BEFORE"

install_tools() {
    command -v dockerd >/dev/null && command -v mmdebstrap >/dev/null && return
    [ "$(id -u)" -eq 0 ] || fail "needs Debian's docker.io and mmdebstrap (apt-get install as root)"
    step "installing Debian docker.io and mmdebstrap"
    apt-get update -qq && apt-get install -y -qq docker.io mmdebstrap >/dev/null
}

start_daemon() {
    if docker info >/dev/null 2>&1; then
        step "using the running Docker daemon"
        return
    fi
    install_tools
    [ "$(id -u)" -eq 0 ] || fail "a private dockerd needs root"
    step "starting a private dockerd in $WORK"
    dockerd --data-root "$WORK/root" --exec-root "$WORK/exec" -H "unix://$WORK/docker.sock" \
        --pidfile "$WORK/docker.pid" --bridge=none --iptables=false --ip6tables=false \
        --ip-forward=false --ip-masq=false >"$WORK/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    export DOCKER_HOST="unix://$WORK/docker.sock"
    for _ in $(seq 100); do
        docker info >/dev/null 2>&1 && { echo "storage driver: $(docker info -f '{{.Driver}}')"; return; }
        sleep 0.2
    done
    cat "$WORK/dockerd.log" >&2
    fail "the private dockerd did not start"
}

base_image() {
    # A private daemon means no registry here: never try one (the stand-in is built instead).
    if docker image inspect "$BASE" >/dev/null 2>&1 \
        || { [ -z "$DOCKERD_PID" ] && docker pull -q "$BASE" >/dev/null 2>&1; }; then
        step "base image: the real $BASE"
        return
    fi
    local rootfs="$WORK/rootfs.tar"
    # DOCKER_SMOKE_CACHE=DIR keeps the stand-in's root file system between runs (it is rebuilt
    # when older than a week); by default nothing is kept.
    if [ -n "${DOCKER_SMOKE_CACHE:-}" ]; then
        mkdir -p "$DOCKER_SMOKE_CACHE"
        rootfs="$DOCKER_SMOKE_CACHE/python-3.11-slim-standin.tar"
        find "$rootfs" -mtime +7 -delete 2>/dev/null || true
    fi
    if [ -s "$rootfs" ]; then
        step "base image: the cached stand-in for $BASE ($rootfs)"
    else
        build_rootfs "$rootfs"
    fi
    docker import \
        --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
        "$rootfs" "$BASE" >/dev/null
    [ -n "${DOCKER_SMOKE_CACHE:-}" ] || rm -f "$rootfs"
    OWN_BASE=1
}

build_rootfs() {  # build_rootfs TAR: Debian bookworm + Python 3.11 in a venv at /opt/venv
    install_tools
    step "base image: building a stand-in for $BASE with mmdebstrap (Debian bookworm, Python 3.11)"
    mkdir -p "$WORK/ca"
    cp /usr/local/share/ca-certificates/*.crt "$WORK/ca/" 2>/dev/null || true
    mmdebstrap --quiet --variant=minbase \
        --include=python3,python3-venv,ca-certificates,netbase,tzdata,passwd \
        --customize-hook="cp -r $WORK/ca/. \"\$1/usr/local/share/ca-certificates/\"" \
        --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
        --customize-hook='chroot "$1" python3 -m venv /opt/venv' \
        --customize-hook='chroot "$1" ln -sf /opt/venv/bin/python /usr/local/bin/python' \
        --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' \
        bookworm "$1.partial.tar" 2>"$WORK/mmdebstrap.log" \
        || { cat "$WORK/mmdebstrap.log" >&2; fail "mmdebstrap failed"; }
    mv "$1.partial.tar" "$1"  # mmdebstrap picks its output format by the extension
}

http() {  # http METHOD PATH [JSON] [TOKEN] -> body on stdout, status in $WORK/status
    local args=(-sS -o "$WORK/body" -w '%{http_code}' -X "$1" "$URL$2")
    [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data "$3")
    [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
    curl "${args[@]}" >"$WORK/status"
    cat "$WORK/body"
}
expect() {  # expect STATUS DESCRIPTION
    local got
    got=$(cat "$WORK/status")
    [ "$got" = "$1" ] || fail "$2: HTTP $got, expected $1: $(head -c 500 "$WORK/body")"
    echo "ok  $2 ($got)"
}
json() {  # json '["key"]': a field of the JSON on stdin, or nothing (expect reports the status)
    python3 -c "import json, sys
try:
    print(json.load(sys.stdin)$1)
except Exception:
    print('')"
}

run_app() {  # run_app NAME [docker run options...]
    local name=$1
    shift
    CONTAINERS+=("$name")
    docker run -d --name "$name" --network host \
        -e SECRET_KEY="$SECRET_KEY" -e ADMIN_PASSWORD="$ADMIN_PASSWORD" \
        -e METRICS_TOKEN="$METRICS_TOKEN" -e FLASK_RUN_PORT="$PORT" \
        -e GUNICORN_CMD_ARGS="--bind 127.0.0.1:$PORT" "$@" "$IMAGE" >/dev/null
}

wait_healthy() {  # wait_healthy LIMIT_SECONDS: the HEALTHCHECK's own verdict on $NAME
    local limit=$1 status began
    began=$(date +%s%N)
    for _ in $(seq $((limit * 5 + 50))); do
        status=$(docker inspect -f '{{.State.Health.Status}}' "$NAME")
        [ "$status" = healthy ] && break
        [ "$(docker inspect -f '{{.State.Running}}' "$NAME")" = true ] || {
            docker logs "$NAME" >&2; fail "the container exited"; }
        sleep 0.2
    done
    local took=$(( ($(date +%s%N) - began) / 1000000 ))
    [ "$status" = healthy ] || fail "HEALTHCHECK says '$status'"
    [ "$took" -le $((limit * 1000)) ] || fail "healthy after ${took} ms (limit ${limit} s)"
    echo "ok  HEALTHCHECK healthy ${took} ms after start"
}

cd "$ROOT"
start_daemon
base_image

step "building $IMAGE from the Dockerfile (classic builder)"
DOCKER_BUILDKIT=0 docker build -q --network host -t "$IMAGE" . >/dev/null
echo "image size: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
junk=$(docker run --rm --network none --entrypoint python "$IMAGE" -c "import os
names = '.git .hypothesis .ci node_modules Makefile tests bench data/app.db .venv package.json'
print(' '.join(n for n in names.split() if os.path.lexists('/app/' + n)))")
[ -z "$junk" ] || fail "in the image despite .dockerignore: $junk"
echo "ok  no tests, caches, .git, .ci, node_modules or Makefile in the image"

step "a run without -v leaves no anonymous volume"
CONTAINERS+=("$NAME-novol")
docker create --name "$NAME-novol" --network none "$IMAGE" >/dev/null
[ "$(docker inspect -f '{{len .Mounts}}' "$NAME-novol")" = 0 ] || fail "the image declares a VOLUME"
docker rm "$NAME-novol" >/dev/null
echo "ok  no mounts without -v"

step "a root-owned bind mount on /app/data is refused with a clear message"
mkdir -p "$WORK/rootowned" && chmod 0755 "$WORK/rootowned"
run_app "$NAME-bind" -v "$WORK/rootowned:/app/data"
code=$(docker wait "$NAME-bind")
[ "$code" != 0 ] || fail "the server started on an unwritable /app/data"
docker logs "$NAME-bind" 2>&1 | tee "$WORK/bind.log" | tail -3
grep -q "not writable by uid 10001" "$WORK/bind.log" || fail "no clear message naming uid 10001"
! grep -q Traceback "$WORK/bind.log" || fail "a traceback instead of a message"
echo "ok  refused (exit $code) naming the uid that must own it"

step "starting the image on $URL with a named volume"
run_app "$NAME" -v "$VOLUME:/app/data"
wait_healthy 20

http GET /api/health >/dev/null; expect 200 "health"
for page in /api/docs /api/redoc; do
    html=$(http GET "$page"); expect 200 "$page"
    for asset in $(grep -oE '(src|href)="/[^"]+"' <<<"$html" | cut -d'"' -f2); do
        http GET "$asset" >/dev/null; expect 200 "  asset $asset"
    done
done
http GET /api/docs/assets/redoc/redoc.standalone.js >/dev/null; expect 200 "ReDoc bundle"

user="smoke$$"
http POST /api/auth/register "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"Smoke-pass-$$-x9!\"}" >/dev/null
expect 201 "register"
token=$(http POST /api/auth/login "{\"username\":\"$user\",\"password\":\"Smoke-pass-$$-x9!\"}" | json '["token"]')
expect 200 "login"
item=$(http POST /api/items '{"name":"from docker-smoke"}' "$token" | json '["id"]')
expect 201 "create an item (id $item)"
is_admin=$(http POST /api/auth/login "{\"username\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}" | json '["user"]["is_admin"]')
expect 200 "admin login with ADMIN_PASSWORD"
[ "$is_admin" = True ] || fail "the admin account is not an admin: $is_admin"
http GET /metrics >/dev/null; expect 401 "metrics without the token"
http GET /metrics "" "$METRICS_TOKEN" >/dev/null; expect 200 "metrics with METRICS_TOKEN"
grep -q '^http_requests_total' "$WORK/body" || fail "no http_requests_total in the metrics"

step "processes and file permissions inside the container"
docker top "$NAME" -eo pid,uid,args | tail -n +2 >"$WORK/top"
uids=$(awk '{print $2}' "$WORK/top" | sort -u | tr '\n' ' ')
[ "$uids" = "10001 " ] || fail "processes run as uids: $uids ($(cat "$WORK/top"))"
echo "ok  every process runs as uid 10001 ($(wc -l <"$WORK/top") processes)"
writable=$(docker exec "$NAME" find / -xdev -writable -not -path '/proc/*' -not -path '/sys/*' \
    -not -path '/dev/*' -not -path '/tmp/*' -not -path '/var/tmp/*' -not -path '/app/data*' \
    -not -type l 2>/dev/null | grep -v -E '^/(tmp|var/tmp|dev/shm|run/lock)$' || true)
[ -z "$writable" ] || fail "writable by the app user outside /app/data: $writable"
if docker exec "$NAME" python -c "open('/app/api/__init__.py', 'a')" 2>/dev/null; then
    fail "the app user can rewrite /app/api/__init__.py"
fi
echo "ok  code not writable; only /app/data (and /tmp) writable by the app user"

step "docker restart keeps the data (named volume) and stops gracefully"
began=$(date +%s%N)
docker restart "$NAME" >/dev/null
took=$(( ($(date +%s%N) - began) / 1000000 ))
[ "$took" -lt 10000 ] || fail "docker restart took ${took} ms: gunicorn did not stop within 10 s"
echo "ok  restarted in ${took} ms"
wait_healthy 20
name=$(http GET "/api/items/$item" | json '["name"]'); expect 200 "the item survived the restart"
[ "$name" = "from docker-smoke" ] || fail "item name is $name"
http POST /api/auth/login "{\"username\":\"$user\",\"password\":\"Smoke-pass-$$-x9!\"}" >/dev/null
expect 200 "the user survived the restart"

step "graceful stop and a clean log"
docker stop "$NAME" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$NAME")
[ "$code" = 0 ] || fail "docker stop ended gunicorn with exit code $code (137 = killed)"
echo "ok  docker stop: exit code 0"
docker logs "$NAME" >"$WORK/app.log" 2>&1
if grep -n -i -E 'traceback|\[error\]|"level": ?"(error|critical)"|control server|permission denied' \
    "$WORK/app.log"; then
    fail "errors in the container's log (above)"
fi
echo "ok  no error or traceback in $(wc -l <"$WORK/app.log") log lines"
