"""The peer for `make bench`: what many users would write instead, with FastAPI + SQLModel.

A minimal app in the style of the FastAPI/SQLModel docs and full-stack-fastapi-template: sync
path operations (run in FastAPI's thread pool) with a `Session` dependency, pydantic response
models, PyJWT for the bearer token. It serves the same database file the bench seeds:

* `GET /api/items?page=&per_page=`: our list's query (active items, newest first, the same seven
  columns, LIMIT/OFFSET) and our count (the trigger-kept `item_counts` row), same JSON envelope.
* `GET /api/auth/me`: our access token verified with PyJWT (signature, expiry, issuer,
  audience) and the user row looked up by id; 401 if missing or inactive.
* `GET /api/health`: for the bench's start-up probe.

Run: `DATA_DIR=... uvicorn --app-dir bench peer_fastapi:app --workers 2` (uvicorn[standard]:
uvloop and httptools; uvicorn's access log on, as by default).
"""

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import DateTime, TypeDecorator
from sqlmodel import Field, Session, SQLModel, create_engine, select

DATA_DIR = Path(os.environ["DATA_DIR"])
SECRET = os.environ.get("JWT_SECRET_KEY") or (DATA_DIR / ".secret_key").read_text().strip()
ISSUER = os.environ.get("JWT_ISSUER", "backend-auth")
AUDIENCE = os.environ.get("JWT_AUDIENCE", "backend-api")

engine = create_engine(
    f"sqlite:///{DATA_DIR / 'app.db'}", connect_args={"check_same_thread": False}
)


class UTCDateTime(TypeDecorator[datetime]):
    """SQLite hands back naive values; the API's timestamps are UTC with their offset."""

    impl = DateTime
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class ItemBase(SQLModel):
    name: str
    description: str
    is_active: bool
    user_id: int | None


class Item(ItemBase, table=True):
    __tablename__ = "items"
    id: int = Field(primary_key=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ItemPublic(ItemBase):
    id: int
    created_at: datetime
    updated_at: datetime


class ItemsPublic(SQLModel):
    items: list[ItemPublic]
    total: int
    page: int
    per_page: int


class ItemCount(SQLModel, table=True):
    __tablename__ = "item_counts"
    is_active: bool = Field(primary_key=True)
    count: int


class UserBase(SQLModel):
    username: str
    email: str
    is_admin: bool
    is_active: bool


class User(UserBase, table=True):
    __tablename__ = "users"
    id: int = Field(primary_key=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_login: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserPublic(UserBase):
    id: int
    created_at: datetime
    last_login: datetime | None


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/login")


def current_user(session: SessionDep, token: Annotated[str, Depends(oauth2)]) -> User:
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], issuer=ISSUER, audience=AUDIENCE)
    except jwt.InvalidTokenError:
        raise HTTPException(status_code=401, detail="Invalid token") from None
    user = session.get(User, int(claims["sub"]))
    if user is None or not user.is_active:
        raise HTTPException(status_code=401, detail="Invalid token")
    return user


app = FastAPI()


@app.get("/api/health")
def health() -> dict[str, str]:
    return {"status": "healthy"}


@app.get("/api/items", response_model=ItemsPublic)
def list_items(
    session: SessionDep,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    query = (
        select(Item)
        .where(Item.is_active == True)  # noqa: E712 (SQL, not Python)
        .order_by(Item.created_at.desc(), Item.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = session.exec(query).all()
    total = session.exec(select(ItemCount.count).where(ItemCount.is_active == True)).one()  # noqa: E712
    return ItemsPublic(items=items, total=total, page=page, per_page=per_page)


@app.get("/api/auth/me", response_model=UserPublic)
def read_me(user: Annotated[User, Depends(current_user)]) -> Any:
    return user
