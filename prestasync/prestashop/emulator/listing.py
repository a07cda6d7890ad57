"""GET and HEAD of records: one record, a schema, or a filtered, sorted, paged list.

A missing single record is 404 with an empty body (fact 10, `08_product_missing_404.http`). An
unknown field in `display` (35) or `sort` (38) comes with four PHP warnings and status 500
(`44_combinations_filter_product.http`, `68e2_categories_sort_nleft_500.http`). Computed prices
(`price[NAME][use_tax]=1`…) render only with `display=full` or a single record (fact 28, `74e`,
`75l`): the emulator computes them from the tax group rate, the default combination's impact and
percentage specific prices, which is close to, not always equal to, PrestaShop's price engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prestasync.prestashop.emulator.parse import PHP_ROOT
from prestasync.prestashop.emulator.prices import computed_prices
from prestasync.prestashop.emulator.query import parse_display, parse_languages, parse_list_query, php_int
from prestasync.prestashop.emulator.render import Renderer
from prestasync.prestashop.emulator.render_meta import schema
from prestasync.prestashop.emulator.schema import Resource, WsError
from prestasync.prestashop.emulator.select import select_rows

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.store import EmulatedShop

_SCHEMA_KINDS = (
    "Please select a schema of type 'synopsis' to get the whole schema informations (which fields "
    "are required, which kind of content...) or 'blank' to get an empty schema to fill before "
    "using POST request"
)
_WARNING = (
    "[PHP Warning #2] Trying to access array offset on value of type bool "
    "({}/classes/webservice/WebserviceRequest.php, line {})"
)


def get_records(
    shop: EmulatedShop, res: Resource, row_id: str | None, params: dict[str, Any], renderer: Renderer
) -> tuple[int, str | None]:
    try:
        return _get(shop, res, row_id, params, renderer)
    except WsError as exc:
        if exc.errors and exc.errors[0][1] in (35, 38):
            status, code, message = exc.errors[0]
            warnings = [(500, 3, _WARNING.format(PHP_ROOT, line)) for line in range(1333, 1337)]
            raise WsError((500, code, message), *warnings) from None
        raise


def _get(
    shop: EmulatedShop, res: Resource, row_id: str | None, params: dict[str, Any], renderer: Renderer
) -> tuple[int, str | None]:
    table = shop.tables[res.name]
    if row_id:
        # A single record goes through neither filters nor schema.
        renderer.languages = parse_languages(params.get("language"), shop.lang_ids)
        display = parse_display(res, params.get("display"))
        row = table.rows.get(php_int(row_id))
        if row is None:
            return 404, None  # no <errors>: output disabled
        display = "full" if display == "minimum" else display
        if display == "full" and res.name == "products":
            renderer.prices = computed_prices(shop, row, params.get("price"))
        return 200, renderer.records(res, [row], display, wrapped=False, json_plural="display" in params)
    kind = params.get("schema")
    if kind is not None:
        if kind not in ("blank", "synopsis"):
            raise WsError((400, 28, _SCHEMA_KINDS))
        return 200, schema(res, str(kind), renderer.base, renderer.languages, renderer.as_json)
    q = parse_list_query(res, params, shop.lang_ids)
    renderer.languages = q.languages
    rows = select_rows(shop, res, q)
    if q.display == "minimum":
        return 200, renderer.minimum_list(res, rows)
    return 200, renderer.records(res, rows, q.display, wrapped=True, json_plural=True)
