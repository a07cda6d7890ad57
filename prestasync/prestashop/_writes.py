"""Generic writes for any resource: create, patch (with its PUT fallback), replace, delete.

Two shop behaviours shape every write here:

* **A multilanguage field sent in some languages is blanked in the others**, on PATCH and PUT alike
  (README fact 17, captures 77 and 77d): `WebserviceRequest::saveEntityFromXml` nulls every
  non-required field present in the body before assigning the languages it carries. So `patch`
  and `replace` always send every language the shop has for each multilanguage field written,
  completing the ones not given from `current` (the record as the caller last read it) or, without
  it, from one `GET ?display=[id,fields]`. Categories happen to keep unsent languages of `name`
  (a required field, 77c) but not of optional fields, so the rule applies to every resource.
* **PUT is a full replacement** (fact 5): fields not sent are reset. `patch` uses PATCH (8.0+); on
  1.7, or when the shop refuses PATCH (405/501, remembered per resource), it reads the whole record
  and PUTs it back with the change merged in, leaving out read-only fields. Associations are sent
  only when given: the shop rewrites just the associations present in the body (and a PUT of a
  virtual product with its own associations fails, fact 15).

A POST is never retried once it may have reached the shop. After a `ShopUnavailable` with
`maybe_applied` (an empty-body 500, which the real shop sends for 1-5 % of concurrent product
writes after saving them, fact 14), re-read before creating again.
"""

from __future__ import annotations

from collections.abc import Mapping

from prestasync.prestashop._base import ClientBase, display_value, positive, resource_name
from prestasync.prestashop._xml import AssociationItems, build_body, singular
from prestasync.prestashop.errors import NotSupported
from prestasync.prestashop.records import Record, RemoteProduct

I18nValues = Mapping[str, Mapping[int, str]]
AssociationValues = Mapping[str, AssociationItems]
Current = Record | RemoteProduct

# Fields the synopsis marks read_only (captures 04b, 67b, 73a), plus the product's
# `position_in_category`, which a PUT would write back wrongly (the shop's getter and setter disagree).
READ_ONLY: dict[str, frozenset[str]] = {
    "products": frozenset({"quantity", "manufacturer_name", "position_in_category"}),
    "categories": frozenset({"level_depth", "nb_products_recursive"}),
    "manufacturers": frozenset({"link_rewrite"}),
}
# Columns declared `allow_null`: PHP casts a sent '' to 0 (formatValue), while an absent field
# stays NULL. So an empty value is left out of a merged PUT rather than sent back.
NULLABLE: dict[str, frozenset[str]] = {"products": frozenset({"low_stock_threshold"})}
_SPECIAL = {"images": "use upload_image(), delete_image() and set_cover_image()"}


class WritesMixin(ClientBase):
    """`create`, `patch`, `replace` and `delete` for any resource (see the module notes)."""

    def create(
        self,
        resource: str,
        fields: Mapping[str, str],
        i18n: I18nValues | None = None,
        associations: AssociationValues | None = None,
    ) -> Record:
        """POST a new record and return the shop's echo of it.

        The echo is the object as built, not as stored: fields not sent come back `''` (README fact
        29); re-read for the stored defaults. Send every shop language of every multilanguage
        field: a language not sent is stored as `''` (fact 6). Products need `state=1` (else a
        hidden draft) and a category (`create_product` sets both). A category needs `link_rewrite`
        (without it the shop answers a 500 of PHP warnings, capture 68f): refused here before
        sending. Never retried once the request may have reached the shop.
        """
        resource = _writable(resource)
        _check_fields(resource, fields)
        if resource == "categories":
            _check_category(i18n or {})
        body = build_body(singular(resource), fields, i18n, associations)
        return self._record_from(self._call("POST", resource, body=body), resource)

    def patch(
        self,
        resource: str,
        record_id: int,
        fields: Mapping[str, str] | None = None,
        i18n: I18nValues | None = None,
        associations: AssociationValues | None = None,
        *,
        current: Current | None = None,
    ) -> Record:
        """Change only the given fields, languages and associations of one record.

        `i18n` may name some languages only: the others are completed from `current` (pass the
        record you just read to save a GET) so that none is blanked (fact 17). An association given
        replaces that association's whole list; an empty list clears it (captures 66, 66g, 69b).
        PATCH on 8.x; GET + merge + full PUT on 1.7 or when the shop refuses PATCH.
        """
        resource, record_id = _writable(resource), positive(record_id, "record_id")
        changes = dict(fields or {})
        _check_fields(resource, changes)
        if not changes and not i18n and associations is None:
            raise ValueError("patch needs fields, i18n or associations to change")
        if self._patch_supported(resource):
            languages = self._complete(resource, record_id, i18n or {}, current)
            body = build_body(singular(resource), {"id": str(record_id), **changes}, languages, associations)
            try:
                return self._record_from(self._call("PATCH", f"{resource}/{record_id}", body=body), resource)
            except NotSupported:
                self._patch_refused.add(resource)
        return self._put_merged(resource, record_id, changes, i18n or {}, associations)

    def replace(
        self,
        resource: str,
        record_id: int,
        fields: Mapping[str, str],
        i18n: I18nValues | None = None,
        associations: AssociationValues | None = None,
        *,
        current: Current | None = None,
    ) -> Record:
        """PUT a whole record: every field not sent is reset by the shop (README fact 5).

        Meant for writing back a record read in full; prefer `patch` for changes. Languages
        missing from a multilanguage field given are completed as in `patch`.
        """
        resource, record_id = _writable(resource), positive(record_id, "record_id")
        _check_fields(resource, fields)
        languages = self._complete(resource, record_id, i18n or {}, current)
        body = build_body(singular(resource), {"id": str(record_id), **fields}, languages, associations)
        return self._record_from(self._call("PUT", f"{resource}/{record_id}", body=body), resource)

    def delete(self, resource: str, record_id: int) -> None:
        """DELETE one record; NotFound when it does not exist (404 code 87, capture 19b).

        Deleting a category deletes its whole subtree and leaves products pointing at the deleted
        id as their default category (README fact 21). Not retried once it may have been sent.
        """
        resource, record_id = _writable(resource), positive(record_id, "record_id")
        self._call("DELETE", f"{resource}/{record_id}")

    # -- helpers ------------------------------------------------------------------------------

    def _complete(
        self, resource: str, record_id: int, i18n: I18nValues, current: Current | None
    ) -> dict[str, dict[int, str]]:
        """Every multilanguage field in `i18n` with all the shop's languages (fact 17)."""
        if not i18n:
            return {}
        if current is not None and current.id != record_id:
            raise ValueError(f"current is record {current.id}, not {record_id}")
        known: dict[str, dict[int, str]] = dict(current.i18n) if current is not None else {}
        missing = [name for name in i18n if name not in known]
        if missing:
            fetched = self._fetch(resource, f"{resource}/{record_id}", {"display": display_value(missing)})
            known.update(fetched.i18n)
            unknown = [name for name in missing if name not in fetched.i18n]
            if unknown:
                raise ValueError(f"{resource} has no multilanguage field {unknown}")
        return {name: {**known[name], **values} for name, values in i18n.items()}

    def _put_merged(
        self,
        resource: str,
        record_id: int,
        fields: Mapping[str, str],
        i18n: I18nValues,
        associations: AssociationValues | None,
    ) -> Record:
        current = self._fetch(resource, f"{resource}/{record_id}")
        skip, nullable = READ_ONLY.get(resource, frozenset()), NULLABLE.get(resource, frozenset())
        merged = {k: v for k, v in current.fields.items() if k not in skip and not (k in nullable and v == "")}
        merged.update(fields)
        merged["id"] = str(record_id)
        languages = {name: dict(values) for name, values in current.i18n.items()}
        for name, values in i18n.items():
            languages[name] = {**current.i18n.get(name, {}), **values}
        body = build_body(singular(resource), merged, languages, associations)
        return self._record_from(self._call("PUT", f"{resource}/{record_id}", body=body), resource)


def _writable(resource: str) -> str:
    resource = resource_name(resource)
    if resource in _SPECIAL:
        raise ValueError(f"{resource} are not written as records: {_SPECIAL[resource]}")
    return resource


def _check_fields(resource: str, fields: Mapping[str, str]) -> None:
    if "id" in fields:
        raise ValueError("fields must not hold 'id': the client sets it from record_id (and a POST must not send one)")
    blocked = sorted(set(fields) & READ_ONLY.get(resource, frozenset()))
    if blocked:
        raise ValueError(f"fields {blocked} of {resource} are read-only and cannot be written")


def _check_category(i18n: I18nValues) -> None:
    names, rewrites = i18n.get("name", {}), i18n.get("link_rewrite", {})
    lacking = sorted(lang for lang in names if not rewrites.get(lang, "").strip())
    if not rewrites or lacking:
        raise ValueError(
            f"a new category needs link_rewrite in every language of its name (missing: {lacking or 'all'}); "
            "without it the shop answers 500 with PHP warnings and saves nothing (capture 68f)"
        )
