"""The real PrestaShop 8.1.2 demo catalogue, rebuilt in an emulated shop from the captured answers.

`demo_shop()` reads the full lists the captures hold (combinations 20, stock rows 22, attribute
groups and values 24-25, categories 26, specific prices 28, features 29-29b, tax groups 30,
languages 06) and the product records they show in full (02, 03, 18, 31, 45's request body, 77).
What no capture shows is reconstructed and said so below:

* products 4-19 (never shown in full) are copies of product 3's record with their own id,
  reference (11, 42), categories (26) and combinations (20);
* the images of products 4-19: the image list (27b) says each product has images and the README
  says there are 23; product 1 has 1-2 (27), products 2-3 and the images combinations use are
  known, the remaining ids are handed out in product order;
* manufacturers 1 and 2 (named by product records, not listed by any capture).

Ids continue where the demo's do: products from 20, combinations from 40, images from 24,
categories from 10, stock rows from 59 (README).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from prestasync.prestashop.emulator import EmulatedShop, ShopConfig
from prestasync.prestashop.emulator.images import SEEDED
from prestasync.prestashop.emulator.resources import RESOURCES
from tests.prestashop.captures import DEFAULT_DIR, load

KEY = "WIRE" * 8
LANGUAGES = [(1, "en", "English (English)"), (2, "fr", "Français (French)")]
DEMO_IMAGES = 23
# Products no capture names: the demo references 42's LIKE `demo_1%` did not match.
_UNLISTED_REFERENCES = {14: "demo_2", 15: "demo_4", 16: "demo_8", 17: "demo_9"}


def demo_shop(folder: Path = DEFAULT_DIR) -> EmulatedShop:
    """A shop in the state of the captured demo shop before any write."""
    shop = EmulatedShop(ShopConfig(key=KEY, name="RealPS", version="8.1.2", languages=LANGUAGES))
    for table in shop.tables.values():
        table.rows.clear()
        table.ids.clear()
        table.next_id = 1
        for index in table.index.values():
            index.clear()
    shop.stock_index.clear()
    shop.category_sizes.clear()
    loader = _Loader(shop, folder)
    loader.load()
    return shop


_CR = "\ue000"  # stands for "\r" while the XML is parsed


def _text(el: etree._Element) -> str:
    return (el.text or "").replace(_CR, "\r")


class _Loader:
    def __init__(self, shop: EmulatedShop, folder: Path) -> None:
        self.shop = shop
        self.folder = folder

    def records(self, name: str, request: bool = False) -> list[etree._Element]:
        ex = load(self.folder / f"{name}.http")
        body = ex.request_body if request else ex.response_body
        # An XML parser turns a raw "\r\n" into "\n" (fact 13); the shop's stored text keeps it.
        root = etree.fromstring(body.replace(b"\r", _CR.encode()))
        first = root[0]
        return list(first) if first.find("id") is None else [first]

    def load(self) -> None:
        for resource, capture in (
            ("languages", "06_languages_full"),
            ("categories", "26_categories_full"),
            ("product_options", "24_product_options_full"),
            ("product_option_values", "25_product_option_values_full"),
            ("product_features", "29_product_features_full"),
            ("product_feature_values", "29b_product_feature_values_full"),
            ("tax_rule_groups", "30_tax_rule_groups_full"),
            ("specific_prices", "28_specific_prices_full"),
            ("combinations", "20_combinations_full"),
            ("stock_availables", "22_stock_availables_full_all"),
        ):
            for el in self.records(capture):
                self.store(resource, el)
        self.shop.store(
            RESOURCES["shops"],
            {"id": "1", "id_shop_group": "1", "id_category": "2", "active": "1"}
            | {"name": "RealPS", "theme_name": "classic", "deleted": "0"},
        )
        self.shop.store(RESOURCES["shop_groups"], {"id": "1", "name": "Default", "active": "1", "deleted": "0"})
        for mid, name in ((1, "Studio Design"), (2, "Graphic Corner")):
            row = {"id": str(mid), "active": "1", "name": name, "date_add": "2026-12-01 18:40:04"}
            self.shop.store(RESOURCES["manufacturers"], row | {"date_upd": "2026-12-01 18:40:04"})
        self._products()
        self._images()
        for name, next_id in (("products", 20), ("combinations", 40), ("categories", 10), ("stock_availables", 59)):
            self.shop.tables[name].next_id = next_id

    def store(self, resource: str, el: etree._Element) -> dict[str, Any]:
        row = self.parse(resource, el)
        self.shop.store(RESOURCES[resource], row)
        return row

    def parse(self, resource: str, el: etree._Element) -> dict[str, Any]:
        res = RESOURCES[resource]
        row: dict[str, Any] = {}
        for field in el:
            if field.tag == "associations":
                self._assocs(resource, row, field)
                continue
            f = res.field(field.tag)
            if f is None or f.getter:
                continue
            if f.i18n:
                row[f.name] = {int(lang.get("id", "0")): _text(lang) for lang in field}
            else:
                row[f.name] = _text(field)
        return row

    def _assocs(self, resource: str, row: dict[str, Any], block: etree._Element) -> None:
        for assoc in block:
            items = [{c.tag: c.text or "" for c in item} for item in assoc]
            if resource == "combinations" and assoc.tag in ("product_option_values", "images"):
                row["_values" if assoc.tag == "product_option_values" else "_images"] = tuple(
                    int(i["id"]) for i in items
                )
            elif resource == "products" and assoc.tag == "categories":
                row["_categories"] = tuple(int(i["id"]) for i in items)
            elif resource == "products" and assoc.tag == "product_features":
                row["_features"] = tuple((int(i["id"]), int(i["id_feature_value"])) for i in items)
            elif resource == "products" and assoc.tag == "product_bundle":
                row["_product_bundle"] = tuple(items)

    def _products(self) -> None:
        known: dict[int, etree._Element] = {}
        for capture, request in (
            ("02_products_full_limit3", False),
            ("45b_put_virtual_product12_own_xml_no_associations_200", True),
        ):
            for el in self.records(capture, request):
                known[int(el.findtext("id") or "0")] = el
        known[12] = self.records("45_put_virtual_product12_own_xml_500_product_bundle", True)[0]
        known[7] = self.records("77_patch_product_name_en_only_single_shop")[0]
        references = {int(el.findtext("id") or "0"): el.findtext("reference") or "" for el in self._reference_lists()}
        categories = self._category_products()
        for pid in range(1, 20):
            el = known.get(pid, known[3])
            row = self.parse("products", el)
            row["id"] = str(pid)
            row["reference"] = references.get(pid, _UNLISTED_REFERENCES.get(pid, ""))
            if pid not in known:
                row["_categories"] = tuple(categories.get(pid, (2,)))
                row["id_category_default"] = str(row["_categories"][-1])
                row.pop("_features", None)
            if "_position" not in row and pid in (1, 2, 3):
                row["_position"] = pid
            self.shop.store(RESOURCES["products"], row)

    def _reference_lists(self) -> list[etree._Element]:
        return self.records("11_products_filter_date_upd") + self.records("42_products_filter_reference_like")

    def _category_products(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for el in self.records("26_categories_full"):
            cid = int(el.findtext("id") or "0")
            for item in el.iterfind("associations/products/product"):
                out.setdefault(int(item.findtext("id") or "0"), []).append(cid)
        return out

    def _images(self) -> None:
        lists: dict[int, list[int]] = {1: [1, 2]}
        for el in self.records("02_products_full_limit3"):
            pid = int(el.findtext("id") or "0")
            lists[pid] = [int(i.findtext("id") or "0") for i in el.iterfind("associations/images/image")]
        for el in self.records("20_combinations_full"):
            pid = int(el.findtext("id_product") or "0")
            for item in el.iterfind("associations/images/image"):
                image = int(item.findtext("id") or "0")
                if image not in lists.setdefault(pid, []):
                    lists[pid].append(image)
        used = {i for ids in lists.values() for i in ids}
        free = iter(i for i in range(1, DEMO_IMAGES + 1) if i not in used)
        for pid in range(1, 20):
            if not lists.get(pid):
                lists[pid] = [next(free)]
        for pid in sorted(lists):
            for image in sorted(lists[pid]):
                self.shop.images.add(pid, SEEDED, "image/png", image)
        self.shop.images.next_id = DEMO_IMAGES + 1
