"""What leaves the process, typed once: the job, item, failure group, shop, product and
statistics shapes of the API, the CLI's `--json`, the live events and the CSV files.

The API declares these as response models (so `/docs` shows them), the CLI prints
`model_dump(mode="json")` of the same objects, remote mode reads them back with
`model_validate`, and the SSE stream sends the job shape. CONTRACT (docs/contract.md) is
the outside promise; fields are only ever added.

One module per concept: `base` (the `Out` model, `Page`, `Problem`, how values are
written out), `jobs`, `rows` (CSV and report rows), `shops`, `catalogue` and `loop`; every
name is importable from `prestasync.contract` itself.
"""

from prestasync.contract.base import ID_MAX, Out, Page, Problem, as_text, iso, money
from prestasync.contract.catalogue import (
    AttributeOut,
    BindingOut,
    CategoryOut,
    CombinationOut,
    FeatureOut,
    FieldOut,
    ImageOut,
    ProductDetail,
    ProductOut,
    ProfileOptions,
    ProfileOut,
    product_detail,
    product_out,
    profile_out,
)
from prestasync.contract.jobs import (
    ChangeSummary,
    FailureGroupOut,
    FailureGroups,
    ItemOut,
    JobOut,
    JobsStarted,
    JobStep,
    item_out,
    job_out,
)
from prestasync.contract.loop import (
    AttemptOut,
    DeliveryOut,
    JobEvent,
    JobReport,
    NotificationOut,
    NotifySettings,
    ScheduleOut,
    Unread,
    WebhookCreated,
    WebhookOut,
    schedule_out,
    webhook_out,
)
from prestasync.contract.rows import (
    CHANGES_CSV,
    FAILURES_CSV,
    JOB_REPORT_COLUMNS,
    change_rows,
    failure_row,
    job_report_row,
)
from prestasync.contract.shops import DayStats, ShopOut, ShopStats, shop_out

__all__ = [
    "AttemptOut",
    "AttributeOut",
    "BindingOut",
    "CHANGES_CSV",
    "CategoryOut",
    "ChangeSummary",
    "CombinationOut",
    "DayStats",
    "DeliveryOut",
    "FAILURES_CSV",
    "FailureGroupOut",
    "FailureGroups",
    "FeatureOut",
    "FieldOut",
    "ID_MAX",
    "ImageOut",
    "ItemOut",
    "JOB_REPORT_COLUMNS",
    "JobEvent",
    "JobOut",
    "JobReport",
    "JobStep",
    "JobsStarted",
    "NotificationOut",
    "NotifySettings",
    "Out",
    "Page",
    "Problem",
    "ProductDetail",
    "ProductOut",
    "ProfileOptions",
    "ProfileOut",
    "ScheduleOut",
    "ShopOut",
    "ShopStats",
    "Unread",
    "WebhookCreated",
    "WebhookOut",
    "as_text",
    "change_rows",
    "failure_row",
    "iso",
    "item_out",
    "job_out",
    "job_report_row",
    "money",
    "product_detail",
    "product_out",
    "profile_out",
    "schedule_out",
    "shop_out",
    "webhook_out",
]
