"""Contains all the data models used in inputs/outputs"""

from .audit_action import AuditAction
from .audit_details import AuditDetails
from .audit_entry import AuditEntry
from .audit_page import AuditPage
from .audit_target_type import AuditTargetType
from .auth_token import AuthToken
from .bulk_delete_request import BulkDeleteRequest
from .bulk_delete_result import BulkDeleteResult
from .change_password_request import ChangePasswordRequest
from .dependency_status import DependencyStatus
from .error_response import ErrorResponse
from .field_errors import FieldErrors
from .health import Health
from .health_status import HealthStatus
from .item import Item
from .item_create import ItemCreate
from .item_page import ItemPage
from .item_sort import ItemSort
from .item_update import ItemUpdate
from .login_request import LoginRequest
from .message import Message
from .refresh_request import RefreshRequest
from .register_request import RegisterRequest
from .stats import Stats
from .token_type import TokenType
from .upload import Upload
from .upload_file_body import UploadFileBody
from .user import User
from .user_counts import UserCounts
from .user_page import UserPage
from .user_patch import UserPatch
from .user_sort import UserSort

__all__ = (
    "AuditAction",
    "AuditDetails",
    "AuditEntry",
    "AuditPage",
    "AuditTargetType",
    "AuthToken",
    "BulkDeleteRequest",
    "BulkDeleteResult",
    "ChangePasswordRequest",
    "DependencyStatus",
    "ErrorResponse",
    "FieldErrors",
    "Health",
    "HealthStatus",
    "Item",
    "ItemCreate",
    "ItemPage",
    "ItemSort",
    "ItemUpdate",
    "LoginRequest",
    "Message",
    "RefreshRequest",
    "RegisterRequest",
    "Stats",
    "TokenType",
    "Upload",
    "UploadFileBody",
    "User",
    "UserCounts",
    "UserPage",
    "UserPatch",
    "UserSort",
)
