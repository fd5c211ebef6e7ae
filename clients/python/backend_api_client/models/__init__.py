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
from .direct_upload_complete import DirectUploadComplete
from .direct_upload_request import DirectUploadRequest
from .direct_upload_ticket import DirectUploadTicket
from .direct_upload_ticket_fields import DirectUploadTicketFields
from .error_response import ErrorResponse
from .field_errors import FieldErrors
from .grant_type import GrantType
from .health import Health
from .health_mail import HealthMail
from .health_status import HealthStatus
from .health_storage import HealthStorage
from .item import Item
from .item_create import ItemCreate
from .item_page import ItemPage
from .item_sort import ItemSort
from .item_update import ItemUpdate
from .login_request import LoginRequest
from .message import Message
from .o_auth_error import OAuthError
from .o_auth_error_code import OAuthErrorCode
from .o_auth_token import OAuthToken
from .oauth_token_data_body import OauthTokenDataBody
from .oauth_token_files_body import OauthTokenFilesBody
from .password_reset_confirm import PasswordResetConfirm
from .password_reset_request import PasswordResetRequest
from .personal_access_token import PersonalAccessToken
from .personal_access_token_create import PersonalAccessTokenCreate
from .personal_access_token_created import PersonalAccessTokenCreated
from .personal_access_token_page import PersonalAccessTokenPage
from .refresh_request import RefreshRequest
from .register_request import RegisterRequest
from .scope import Scope
from .stats import Stats
from .token_type import TokenType
from .upload import Upload
from .upload_file_body import UploadFileBody
from .upload_page import UploadPage
from .user import User
from .user_counts import UserCounts
from .user_page import UserPage
from .user_patch import UserPatch
from .user_sort import UserSort
from .webhook import Webhook
from .webhook_create import WebhookCreate
from .webhook_delivery import WebhookDelivery
from .webhook_delivery_page import WebhookDeliveryPage
from .webhook_delivery_status import WebhookDeliveryStatus
from .webhook_event_type import WebhookEventType
from .webhook_item_event import WebhookItemEvent
from .webhook_item_event_type import WebhookItemEventType
from .webhook_page import WebhookPage
from .webhook_ping_event import WebhookPingEvent
from .webhook_ping_event_data import WebhookPingEventData
from .webhook_ping_event_type import WebhookPingEventType
from .webhook_update import WebhookUpdate
from .webhook_upload_event import WebhookUploadEvent
from .webhook_upload_event_type import WebhookUploadEventType
from .webhook_user_event import WebhookUserEvent
from .webhook_user_event_type import WebhookUserEventType
from .webhook_with_secret import WebhookWithSecret

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
    "DirectUploadComplete",
    "DirectUploadRequest",
    "DirectUploadTicket",
    "DirectUploadTicketFields",
    "ErrorResponse",
    "FieldErrors",
    "GrantType",
    "Health",
    "HealthMail",
    "HealthStatus",
    "HealthStorage",
    "Item",
    "ItemCreate",
    "ItemPage",
    "ItemSort",
    "ItemUpdate",
    "LoginRequest",
    "Message",
    "OAuthError",
    "OAuthErrorCode",
    "OAuthToken",
    "OauthTokenDataBody",
    "OauthTokenFilesBody",
    "PasswordResetConfirm",
    "PasswordResetRequest",
    "PersonalAccessToken",
    "PersonalAccessTokenCreate",
    "PersonalAccessTokenCreated",
    "PersonalAccessTokenPage",
    "RefreshRequest",
    "RegisterRequest",
    "Scope",
    "Stats",
    "TokenType",
    "Upload",
    "UploadFileBody",
    "UploadPage",
    "User",
    "UserCounts",
    "UserPage",
    "UserPatch",
    "UserSort",
    "Webhook",
    "WebhookCreate",
    "WebhookDelivery",
    "WebhookDeliveryPage",
    "WebhookDeliveryStatus",
    "WebhookEventType",
    "WebhookItemEvent",
    "WebhookItemEventType",
    "WebhookPage",
    "WebhookPingEvent",
    "WebhookPingEventData",
    "WebhookPingEventType",
    "WebhookUpdate",
    "WebhookUploadEvent",
    "WebhookUploadEventType",
    "WebhookUserEvent",
    "WebhookUserEventType",
    "WebhookWithSecret",
)
