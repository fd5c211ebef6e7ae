"""SQLAlchemy models. Importing this package registers every table on `db.metadata`."""

from models.base import db, utcnow
from models.item import Item
from models.token import RevokedToken
from models.upload import Upload
from models.user import User

__all__ = ["Item", "RevokedToken", "Upload", "User", "db", "utcnow"]
