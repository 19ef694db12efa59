"""Contains all the data models used in inputs/outputs"""

from .adjust_request import AdjustRequest
from .batch_create import BatchCreate
from .batch_item import BatchItem
from .batch_item_custom_fields_type_0 import BatchItemCustomFieldsType0
from .callback import Callback
from .code_exchange import CodeExchange
from .connection_list import ConnectionList
from .connection_view import ConnectionView
from .delete_user_passes import DeleteUserPasses
from .delivery_list import DeliveryList
from .delivery_view import DeliveryView
from .design_barcode import DesignBarcode
from .design_field import DesignField
from .design_field_type import DesignFieldType
from .design_patch import DesignPatch
from .diagnostic_view import DiagnosticView
from .door_entry import DoorEntry
from .door_entry_holder import DoorEntryHolder
from .door_list import DoorList
from .event_type import EventType
from .exchange_view import ExchangeView
from .field_problem import FieldProblem
from .google_save import GoogleSave
from .installs import Installs
from .intermediate_signing_key import IntermediateSigningKey
from .item_error import ItemError
from .job_view import JobView
from .link_create import LinkCreate
from .link_create_custom_fields_type_0 import LinkCreateCustomFieldsType0
from .link_key_create import LinkKeyCreate
from .link_key_list import LinkKeyList
from .link_key_view import LinkKeyView
from .link_list import LinkList
from .link_pass import LinkPass
from .link_view import LinkView
from .list_connections_platform import ListConnectionsPlatform
from .list_connections_state import ListConnectionsState
from .list_passes_status import ListPassesStatus
from .logs import Logs
from .my_connections import MyConnections
from .my_pass import MyPass
from .my_passes import MyPasses
from .offline_item import OfflineItem
from .openapi_response_200 import OpenapiResponse200
from .pass_create import PassCreate
from .pass_create_custom_fields import PassCreateCustomFields
from .pass_created import PassCreated
from .pass_list import PassList
from .pass_notified import PassNotified
from .pass_type import PassType
from .pass_update import PassUpdate
from .pass_update_custom_fields_type_0 import PassUpdateCustomFieldsType0
from .pass_view import PassView
from .pass_view_custom_fields import PassViewCustomFields
from .pass_view_labels import PassViewLabels
from .pass_with_installs import PassWithInstalls
from .personalize import Personalize
from .personalize_required_personalization_info import (
    PersonalizeRequiredPersonalizationInfo,
)
from .placement import Placement
from .preview_pass_side import PreviewPassSide
from .preview_template_side import PreviewTemplateSide
from .problem import Problem
from .provider import Provider
from .provider_list import ProviderList
from .provider_result_schema import ProviderResultSchema
from .push_message import PushMessage
from .redeem_request import RedeemRequest
from .redelivery import Redelivery
from .redemption_list import RedemptionList
from .redemption_view import RedemptionView
from .redemption_view_changes_type_0 import RedemptionViewChangesType0
from .registration import Registration
from .scan_answer import ScanAnswer
from .scan_answer_counters import ScanAnswerCounters
from .scan_answer_holder import ScanAnswerHolder
from .scan_request import ScanRequest
from .serial_numbers import SerialNumbers
from .status import Status
from .sync_queued import SyncQueued
from .template_design import TemplateDesign
from .template_list import TemplateList
from .template_view import TemplateView
from .template_view_fields_schema_type_0 import TemplateViewFieldsSchemaType0
from .test_queued import TestQueued
from .token_create import TokenCreate
from .upload_answer import UploadAnswer
from .upload_request import UploadRequest
from .upload_result import UploadResult
from .use_answer import UseAnswer
from .use_counts import UseCounts
from .user_create import UserCreate
from .user_token_view import UserTokenView
from .user_view import UserView
from .user_view_personal_info_type_0 import UserViewPersonalInfoType0
from .webhook_create import WebhookCreate
from .webhook_list import WebhookList
from .webhook_view import WebhookView

__all__ = (
    "AdjustRequest",
    "BatchCreate",
    "BatchItem",
    "BatchItemCustomFieldsType0",
    "Callback",
    "CodeExchange",
    "ConnectionList",
    "ConnectionView",
    "DeleteUserPasses",
    "DeliveryList",
    "DeliveryView",
    "DesignBarcode",
    "DesignField",
    "DesignFieldType",
    "DesignPatch",
    "DiagnosticView",
    "DoorEntry",
    "DoorEntryHolder",
    "DoorList",
    "EventType",
    "ExchangeView",
    "FieldProblem",
    "GoogleSave",
    "Installs",
    "IntermediateSigningKey",
    "ItemError",
    "JobView",
    "LinkCreate",
    "LinkCreateCustomFieldsType0",
    "LinkKeyCreate",
    "LinkKeyList",
    "LinkKeyView",
    "LinkList",
    "LinkPass",
    "LinkView",
    "ListConnectionsPlatform",
    "ListConnectionsState",
    "ListPassesStatus",
    "Logs",
    "MyConnections",
    "MyPass",
    "MyPasses",
    "OfflineItem",
    "OpenapiResponse200",
    "PassCreate",
    "PassCreateCustomFields",
    "PassCreated",
    "PassList",
    "PassNotified",
    "PassType",
    "PassUpdate",
    "PassUpdateCustomFieldsType0",
    "PassView",
    "PassViewCustomFields",
    "PassViewLabels",
    "PassWithInstalls",
    "Personalize",
    "PersonalizeRequiredPersonalizationInfo",
    "Placement",
    "PreviewPassSide",
    "PreviewTemplateSide",
    "Problem",
    "Provider",
    "ProviderList",
    "ProviderResultSchema",
    "PushMessage",
    "RedeemRequest",
    "Redelivery",
    "RedemptionList",
    "RedemptionView",
    "RedemptionViewChangesType0",
    "Registration",
    "ScanAnswer",
    "ScanAnswerCounters",
    "ScanAnswerHolder",
    "ScanRequest",
    "SerialNumbers",
    "Status",
    "SyncQueued",
    "TemplateDesign",
    "TemplateList",
    "TemplateView",
    "TemplateViewFieldsSchemaType0",
    "TestQueued",
    "TokenCreate",
    "UploadAnswer",
    "UploadRequest",
    "UploadResult",
    "UseAnswer",
    "UseCounts",
    "UserCreate",
    "UserTokenView",
    "UserView",
    "UserViewPersonalInfoType0",
    "WebhookCreate",
    "WebhookList",
    "WebhookView",
)
