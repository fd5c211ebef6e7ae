"""Demo data, inserted in large batches (1,000,000 items in well under a minute on SQLite)."""

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from api.core.security import hash_password
from models import Item, User, db, utcnow
from models.item import fold

WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu café straße"
).split()
DEMO_PASSWORD = "demo-password"


def seed(
    *,
    items: int,
    users: int,
    rounds: int,
    batch: int = 10_000,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Create `users` demo users (`demo<N>` / `demo-password`) and `items` items owned by them."""
    owner_ids = _demo_users(users, rounds)
    rng = random.Random(items)
    start = utcnow() - timedelta(seconds=items)
    created = 0
    while created < items:
        size = min(batch, items - created)
        rows = [_item_row(created + i, start, owner_ids, rng) for i in range(size)]
        db.session.execute(insert(Item), rows)
        db.session.commit()
        created += size
        if progress:
            progress(size)
    return {"users": len(owner_ids), "items": created}


def _item_row(
    n: int, start: datetime, owner_ids: list[int], rng: random.Random
) -> dict[str, object]:
    name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {n}"
    when = start + timedelta(seconds=n)
    return {
        "name": name,
        "name_folded": fold(name),
        "description": f"Demo item number {n}",
        "is_active": rng.random() < 0.95,
        "created_at": when,
        "updated_at": when,
        "user_id": rng.choice(owner_ids),
    }


def _demo_users(count: int, rounds: int) -> list[int]:
    password_hash = hash_password(DEMO_PASSWORD, rounds=rounds)
    existing = set(db.session.scalars(select(User.username).where(User.username.like("demo%"))))
    new = [
        {"username": f"demo{n}", "email": f"demo{n}@example.com", "password_hash": password_hash}
        for n in range(1, count + 1)
        if f"demo{n}" not in existing
    ]
    if new:
        db.session.execute(insert(User), new)
        db.session.commit()
    ids = list(db.session.scalars(select(User.id).where(User.username.like("demo%"))))
    return ids or list(db.session.scalars(select(User.id).limit(1)))
