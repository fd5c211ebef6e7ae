"""Item statistics kept by database triggers, so every write path updates them.

* `item_counts`: exact counts by state. `COUNT(*)` grows with the table (~15 ms at 1,000,000
  rows on SQLite); reading these two rows does not.
* `item_changes`: a version bumped by every insert, update or delete of an item. Cached list
  pages are keyed by it, so a change made by any worker or instance invalidates them.

Triggers (not application code) keep both exact for every write: the API, bulk seeding,
migrations and raw SQL alike.
"""

from sqlalchemy import DDL, Boolean, Integer, event
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Model, db


class ItemCount(Model):
    __tablename__ = "item_counts"

    is_active: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)

    def to_dict(self) -> dict[str, object]:
        return {"is_active": self.is_active, "count": self.count}


class ItemChanges(Model):
    __tablename__ = "item_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)

    def to_dict(self) -> dict[str, object]:
        return {"version": self.version}


# A state change moves one item from one row to the other.
_FLIP = (
    "UPDATE item_counts SET count = count + CASE WHEN is_active = NEW.is_active THEN 1 ELSE -1 END"
)
# On PostgreSQL each row by a statement of its own, the inactive row first, so concurrent flips
# lock the two rows in the same order and queue. One UPDATE of both rows locks them in the
# order its scan meets their current versions, which moves as rows are updated: concurrent
# soft deletes deadlocked (a 503; tests/test_item_counts_race.py). SQLite locks the database.
_FLIP_IN_KEY_ORDER = f"{_FLIP} WHERE NOT is_active; {_FLIP} WHERE is_active"
_BUMP = "UPDATE item_changes SET version = version + 1"
COUNT_TRIGGERS: dict[str, list[str]] = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS items_count_insert AFTER INSERT ON items BEGIN "
        "UPDATE item_counts SET count = count + 1 WHERE is_active = NEW.is_active; END",
        "CREATE TRIGGER IF NOT EXISTS items_count_delete AFTER DELETE ON items BEGIN "
        "UPDATE item_counts SET count = count - 1 WHERE is_active = OLD.is_active; END",
        "CREATE TRIGGER IF NOT EXISTS items_count_update AFTER UPDATE OF is_active ON items "
        f"WHEN OLD.is_active != NEW.is_active BEGIN {_FLIP}; END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION items_count_change() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP = 'INSERT' THEN "
        "UPDATE item_counts SET count = count + 1 WHERE is_active = NEW.is_active; "
        "ELSIF TG_OP = 'DELETE' THEN "
        "UPDATE item_counts SET count = count - 1 WHERE is_active = OLD.is_active; "
        f"ELSE {_FLIP_IN_KEY_ORDER}; END IF; RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER items_count_insert_delete AFTER INSERT OR DELETE ON items "
        "FOR EACH ROW EXECUTE FUNCTION items_count_change()",
        "CREATE TRIGGER items_count_update AFTER UPDATE OF is_active ON items FOR EACH ROW "
        "WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active) "
        "EXECUTE FUNCTION items_count_change()",
    ],
}
CHANGE_TRIGGERS: dict[str, list[str]] = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS items_changed_{op.lower()} AFTER {op} ON items "
        f"BEGIN {_BUMP}; END"
        for op in ("INSERT", "UPDATE", "DELETE")
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION items_changed() RETURNS trigger AS $$ BEGIN "
        f"{_BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER items_changed AFTER INSERT OR UPDATE OR DELETE ON items "
        "FOR EACH STATEMENT EXECUTE FUNCTION items_changed()",
    ],
}
SEED_COUNTS = (
    "INSERT INTO item_counts (is_active, count) SELECT s.is_active, "
    "(SELECT count(*) FROM items WHERE items.is_active = s.is_active) FROM "
    "(SELECT {false} AS is_active UNION ALL SELECT {true}) AS s"
)


SEED_VERSION = "INSERT INTO item_changes (id, version) VALUES (1, 0)"


def _seed_sql(dialect: str) -> str:
    false, true = ("0", "1") if dialect == "sqlite" else ("false", "true")
    return SEED_COUNTS.format(false=false, true=true)


# `db.create_all()` (tests) gets the same triggers the migrations create.
for _dialect in ("sqlite", "postgresql"):
    for _statement in COUNT_TRIGGERS[_dialect] + CHANGE_TRIGGERS[_dialect]:
        event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect=_dialect))
    for _seed in (_seed_sql(_dialect), SEED_VERSION):
        event.listen(db.metadata, "after_create", DDL(_seed).execute_if(dialect=_dialect))
