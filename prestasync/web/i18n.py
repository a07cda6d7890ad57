"""UI texts in Polish and English, and the choice between them.

The language comes from the `lang` cookie (set by the switch in the page header, a
`?lang=` link) or else from the browser's Accept-Language. Templates and the page's
JavaScript read the same texts: the JS gets the whole table of the chosen language as
JSON, so a message is written once. Placeholders are `{name}`, filled in by `Texts.t`
in Python and by `t()` in `static/js/i18n.js`; values are plain text either way (Jinja
escapes them, the JS sets `textContent`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LANGUAGES = ("pl", "en")
DEFAULT = "en"
COOKIE = "lang"

EN: dict[str, str] = {
    "app.title": "prestasync",
    "nav.products": "Products",
    "nav.sync": "Sync centre",
    "nav.shops": "Shops",
    "nav.docs": "API",
    "nav.logout": "Log out",
    "nav.signed_in": "Signed in as {user}",
    "lang.switch": "Language",
    "login.title": "Sign in",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Sign in",
    "login.failed": "Wrong username or password.",
    "login.throttled": "Too many failed attempts. Try again in {seconds} s.",
    "login.csrf": "The form expired. Please try again.",
    "monitor.title": "Active operations",
    "monitor.empty": "No active operations",
    "monitor.empty_filtered": "No operations match the filters",
    "monitor.live": "live",
    "monitor.polling": "polling",
    "monitor.offline": "offline",
    "job.count_total": "{processed}/{total}",
    "job.pending.import": "Queued: import from {shop}",
    "job.pending.export": "Queued: export to {shop}",
    "job.pending.sync": "Queued: sync with {shop}",
    "job.running.import": "Importing… {count} products from {shop}",
    "job.running.export": "Exporting… {count} products to {shop}",
    "job.running.sync": "Syncing… {count} products to {shop}",
    "job.cancelling.import": "Cancelling import… {count} products from {shop}",
    "job.cancelling.export": "Cancelling export… {count} products to {shop}",
    "job.cancelling.sync": "Cancelling sync… {count} products to {shop}",
    "job.completed.import": "Imported {count} products from {shop}",
    "job.completed.export": "Exported {count} products to {shop}",
    "job.completed.sync": "Synced {count} products to {shop}",
    "job.failed.import": "Import from {shop} failed at {count}",
    "job.failed.export": "Export to {shop} failed at {count}",
    "job.failed.sync": "Sync with {shop} failed at {count}",
    "job.cancelled.import": "Import from {shop} cancelled at {count}",
    "job.cancelled.export": "Export to {shop} cancelled at {count}",
    "job.cancelled.sync": "Sync with {shop} cancelled at {count}",
    "job.errors.import": "Import failed for {n} products",
    "job.errors.export": "Export failed for {n} products",
    "job.errors.sync": "Sync failed for {n} products",
    "job.pending.file_import": "Queued: import of {shop}",
    "job.running.file_import": "Importing file… {count} rows from {shop}",
    "job.cancelling.file_import": "Cancelling file import… {count} rows from {shop}",
    "job.completed.file_import": "Imported {count} rows from {shop}",
    "job.failed.file_import": "Import of {shop} failed at {count}",
    "job.cancelled.file_import": "Import of {shop} cancelled at {count}",
    "job.errors.file_import": "Rows rejected: {n}",
    "job.pending.file_check": "Queued: dry run of {shop}",
    "job.running.file_check": "Checking file… {count} rows from {shop} (dry run)",
    "job.cancelling.file_check": "Cancelling dry run… {count} rows from {shop}",
    "job.completed.file_check": "Checked {count} rows from {shop} (dry run: nothing written)",
    "job.failed.file_check": "Dry run of {shop} failed at {count}",
    "job.cancelled.file_check": "Dry run of {shop} cancelled at {count}",
    "job.errors.file_check": "Rows rejected: {n}",
    "job.unnamed_file": "(a file)",
    "job.rate": "{rate}/s",
    "job.eta": "ETA {eta}",
    "job.elapsed": "elapsed {elapsed}",
    "job.id": "job #{id}",
    "job.retry_of": "retry of #{id}",
    "job.shop_deleted": "(deleted shop)",
    "status.pending": "Queued",
    "status.running": "Running",
    "status.cancelling": "Cancelling",
    "status.completed": "Completed",
    "status.failed": "Failed",
    "status.cancelled": "Cancelled",
    "type.import": "Import",
    "type.export": "Export",
    "type.sync": "Sync",
    "type.file_import": "File import",
    "action.cancel": "Cancel",
    "action.retry": "Retry",
    "action.retry_failed": "Retry failed only",
    "action.dismiss": "Dismiss",
    "action.close": "Close",
    "action.done_started": "Job #{id} started.",
    "action.done_cancel": "Cancel requested for job #{id}.",
    "action.error": "The request failed: {detail}",
    "modal.title": "Failed items: {shop}",
    "modal.groups": "{groups} causes, {items} failed items",
    "modal.items": "{n} items",
    "modal.more": "Show more",
    "modal.csv": "Download CSV",
    "modal.find": "Find",
    "modal.no_cause": "(no message)",
    "modal.loading": "Loading…",
    "modal.job_error": "Job error",
    "modal.retry_failed": "Retry failed items",
    "toast.completed.import": "Import from {shop} completed: {processed} products, {failed} failed.",
    "toast.completed.export": "Export to {shop} completed: {processed} products, {failed} failed.",
    "toast.completed.sync": "Sync with {shop} completed: {processed} products, {failed} failed.",
    "toast.failed.import": "Import from {shop} failed: {error}",
    "toast.failed.export": "Export to {shop} failed: {error}",
    "toast.failed.sync": "Sync with {shop} failed: {error}",
    "toast.cancelled.import": "Import from {shop} was cancelled.",
    "toast.cancelled.export": "Export to {shop} was cancelled.",
    "toast.cancelled.sync": "Sync with {shop} was cancelled.",
    "toast.completed.file_import": "Import of {shop} completed: {processed} rows, {failed} rejected.",
    "toast.failed.file_import": "Import of {shop} failed: {error}",
    "toast.cancelled.file_import": "Import of {shop} was cancelled.",
    "toast.completed.file_check": "Dry run of {shop} done: {processed} rows, {failed} rejected; nothing written.",
    "toast.failed.file_check": "Dry run of {shop} failed: {error}",
    "toast.cancelled.file_check": "Dry run of {shop} was cancelled.",
    "toast.open": "Show in the sync centre",
    "toast.close": "Close notification",
    "products.title": "Products",
    "products.search": "Search by SKU or name",
    "products.search_button": "Search",
    "products.sku": "SKU",
    "products.name": "Name",
    "products.price": "Price",
    "products.quantity": "Qty",
    "products.active": "Active",
    "products.sync": "PrestaShop sync",
    "products.none": "No products found.",
    "products.select_all": "Select all on this page",
    "products.yes": "yes",
    "products.no": "no",
    "products.prev": "Previous",
    "products.next": "Next",
    "binding.synced": "synced",
    "binding.failed": "failed",
    "binding.never": "never",
    "actions.title": "Actions",
    "actions.shops": "Shops",
    "actions.import": "Import from shops",
    "actions.export_selected": "Export selected ({n})",
    "actions.export_all": "Export all",
    "actions.sync": "Sync changes",
    "actions.no_shop": "Choose at least one shop.",
    "actions.no_selection": "Select products to export first.",
    "files.title": "Catalogue file",
    "files.file": "CSV or XLSX file",
    "files.profile": "Column profile",
    "files.no_profile": "None: the file's own columns",
    "files.dry_run": "Dry run: only show the changes",
    "files.upload": "Import file",
    "files.no_file": "Choose a file first.",
    "files.started": "File import #{id} started.",
    "files.ignored": "These columns are not catalogue columns and are ignored: {columns}",
    "files.export": "Export the catalogue:",
    "files.csv": "CSV",
    "files.xlsx": "XLSX",
    "sync.report": "Report of these operations:",
    "sync.title": "Sync centre",
    "sync.subtitle": "Monitor and control import, export and sync operations with PrestaShop",
    "sync.filter_status": "Status",
    "sync.filter_shop": "Shop",
    "sync.filter_type": "Type",
    "sync.filter_apply": "Filter",
    "sync.all": "All",
    "sync.active": "Active",
    "sync.history": "Operations",
    "sync.page": "Page {page} of {pages}",
    "sync.stats": "Statistics",
    "sync.days": "Last {days} days",
    "stats.jobs": "Jobs",
    "stats.success_rate": "Success rate",
    "stats.items": "Items",
    "stats.avg_duration": "Average duration",
    "stats.chart": "Jobs per day (completed, failed, cancelled)",
    "stats.none": "—",
    "shops.title": "Shops",
    "shops.add": "Add a shop",
    "shops.name": "Name",
    "shops.url": "Shop URL",
    "shops.key": "Webservice key",
    "shops.key_keep": "leave empty to keep the current key",
    "shops.save": "Save",
    "shops.edit": "Edit",
    "shops.delete": "Delete…",
    "shops.delete_confirm": "Delete {shop} for good",
    "shops.test": "Test connection",
    "shops.added": "Shop {shop} added.",
    "shops.saved": "Shop {shop} saved.",
    "shops.deleted": "Shop {shop} deleted.",
    "shops.test_ok": "{shop} answers as {name}, PrestaShop {version}.",
    "shops.test_failed": "{shop}: {error}",
    "shops.none": "No shops registered yet.",
    "shops.synced_until": "Synced until",
    "shops.never": "never",
    "time.s": "{n} s",
    "time.m": "{m} min {s} s",
    "time.h": "{h} h {m} min",
    "push.fallback": "Live updates unavailable; refreshing every few seconds.",
}

PL: dict[str, str] = {
    "app.title": "prestasync",
    "nav.products": "Produkty",
    "nav.sync": "Centrum synchronizacji",
    "nav.shops": "Sklepy",
    "nav.docs": "API",
    "nav.logout": "Wyloguj",
    "nav.signed_in": "Zalogowano jako {user}",
    "lang.switch": "Język",
    "login.title": "Logowanie",
    "login.username": "Użytkownik",
    "login.password": "Hasło",
    "login.submit": "Zaloguj",
    "login.failed": "Nieprawidłowy użytkownik lub hasło.",
    "login.throttled": "Zbyt wiele nieudanych prób. Spróbuj ponownie za {seconds} s.",
    "login.csrf": "Formularz wygasł. Spróbuj ponownie.",
    "monitor.title": "Aktywne operacje",
    "monitor.empty": "Brak aktywnych operacji",
    "monitor.empty_filtered": "Brak operacji spełniających kryteria",
    "monitor.live": "na żywo",
    "monitor.polling": "odpytywanie",
    "monitor.offline": "brak połączenia",
    "job.count_total": "{processed}/{total}",
    "job.pending.import": "W kolejce: import z {shop}",
    "job.pending.export": "W kolejce: eksport do {shop}",
    "job.pending.sync": "W kolejce: synchronizacja z {shop}",
    "job.running.import": "Importowanie… {count} produktów z {shop}",
    "job.running.export": "Eksportowanie… {count} produktów do {shop}",
    "job.running.sync": "Synchronizacja… {count} produktów do {shop}",
    "job.cancelling.import": "Anulowanie importu… {count} produktów z {shop}",
    "job.cancelling.export": "Anulowanie eksportu… {count} produktów do {shop}",
    "job.cancelling.sync": "Anulowanie synchronizacji… {count} produktów do {shop}",
    "job.completed.import": "Zaimportowano {count} produktów z {shop}",
    "job.completed.export": "Wyeksportowano {count} produktów do {shop}",
    "job.completed.sync": "Zsynchronizowano {count} produktów do {shop}",
    "job.failed.import": "Import z {shop} przerwany błędem przy {count}",
    "job.failed.export": "Eksport do {shop} przerwany błędem przy {count}",
    "job.failed.sync": "Synchronizacja z {shop} przerwana błędem przy {count}",
    "job.cancelled.import": "Import z {shop} anulowany przy {count}",
    "job.cancelled.export": "Eksport do {shop} anulowany przy {count}",
    "job.cancelled.sync": "Synchronizacja z {shop} anulowana przy {count}",
    "job.errors.import": "Błąd importu {n} produktów",
    "job.errors.export": "Błąd eksportu {n} produktów",
    "job.errors.sync": "Błąd synchronizacji {n} produktów",
    "job.pending.file_import": "W kolejce: import pliku {shop}",
    "job.running.file_import": "Importowanie pliku… {count} wierszy z {shop}",
    "job.cancelling.file_import": "Anulowanie importu pliku… {count} wierszy z {shop}",
    "job.completed.file_import": "Zaimportowano {count} wierszy z {shop}",
    "job.failed.file_import": "Import pliku {shop} przerwany błędem przy {count}",
    "job.cancelled.file_import": "Import pliku {shop} anulowany przy {count}",
    "job.errors.file_import": "Odrzucone wiersze: {n}",
    "job.pending.file_check": "W kolejce: próbny import pliku {shop}",
    "job.running.file_check": "Sprawdzanie pliku… {count} wierszy z {shop} (próba)",
    "job.cancelling.file_check": "Anulowanie próby… {count} wierszy z {shop}",
    "job.completed.file_check": "Sprawdzono {count} wierszy z {shop} (próba: nic nie zapisano)",
    "job.failed.file_check": "Próbny import pliku {shop} przerwany błędem przy {count}",
    "job.cancelled.file_check": "Próbny import pliku {shop} anulowany przy {count}",
    "job.errors.file_check": "Odrzucone wiersze: {n}",
    "job.unnamed_file": "(plik)",
    "job.rate": "{rate}/s",
    "job.eta": "pozostało {eta}",
    "job.elapsed": "czas {elapsed}",
    "job.id": "zadanie #{id}",
    "job.retry_of": "ponowienie #{id}",
    "job.shop_deleted": "(usunięty sklep)",
    "status.pending": "Oczekuje",
    "status.running": "Przetwarzanie",
    "status.cancelling": "Anulowanie",
    "status.completed": "Ukończono",
    "status.failed": "Błąd",
    "status.cancelled": "Anulowano",
    "type.import": "Import",
    "type.export": "Eksport",
    "type.sync": "Synchronizacja",
    "type.file_import": "Import pliku",
    "action.cancel": "Anuluj",
    "action.retry": "Ponów",
    "action.retry_failed": "Ponów tylko błędne",
    "action.dismiss": "Ukryj",
    "action.close": "Zamknij",
    "action.done_started": "Uruchomiono zadanie #{id}.",
    "action.done_cancel": "Zażądano anulowania zadania #{id}.",
    "action.error": "Żądanie nie powiodło się: {detail}",
    "modal.title": "Błędy: {shop}",
    "modal.groups": "{groups} przyczyn, {items} błędnych produktów",
    "modal.items": "{n} produktów",
    "modal.more": "Pokaż więcej",
    "modal.csv": "Pobierz CSV",
    "modal.find": "Znajdź",
    "modal.no_cause": "(brak komunikatu)",
    "modal.loading": "Wczytywanie…",
    "modal.job_error": "Błąd zadania",
    "modal.retry_failed": "Ponów nieudane",
    "toast.completed.import": "Import z {shop} zakończony: {processed} produktów, błędów: {failed}.",
    "toast.completed.export": "Eksport do {shop} zakończony: {processed} produktów, błędów: {failed}.",
    "toast.completed.sync": "Synchronizacja z {shop} zakończona: {processed} produktów, błędów: {failed}.",
    "toast.failed.import": "Import z {shop} nie powiódł się: {error}",
    "toast.failed.export": "Eksport do {shop} nie powiódł się: {error}",
    "toast.failed.sync": "Synchronizacja z {shop} nie powiodła się: {error}",
    "toast.cancelled.import": "Import z {shop} został anulowany.",
    "toast.cancelled.export": "Eksport do {shop} został anulowany.",
    "toast.cancelled.sync": "Synchronizacja z {shop} została anulowana.",
    "toast.completed.file_import": "Import pliku {shop} zakończony: {processed} wierszy, odrzucono: {failed}.",
    "toast.failed.file_import": "Import pliku {shop} nie powiódł się: {error}",
    "toast.cancelled.file_import": "Import pliku {shop} został anulowany.",
    "toast.completed.file_check": "Próba {shop} gotowa: {processed} wierszy, odrzucono: {failed}; nic nie zapisano.",
    "toast.failed.file_check": "Próbny import {shop} nie powiódł się: {error}",
    "toast.cancelled.file_check": "Próbny import {shop} został anulowany.",
    "toast.open": "Pokaż w centrum synchronizacji",
    "toast.close": "Zamknij powiadomienie",
    "products.title": "Produkty",
    "products.search": "Szukaj po SKU lub nazwie",
    "products.search_button": "Szukaj",
    "products.sku": "SKU",
    "products.name": "Nazwa",
    "products.price": "Cena",
    "products.quantity": "Ilość",
    "products.active": "Aktywny",
    "products.sync": "PrestaShop Sync",
    "products.none": "Nie znaleziono produktów.",
    "products.select_all": "Zaznacz wszystkie na stronie",
    "products.yes": "tak",
    "products.no": "nie",
    "products.prev": "Poprzednia",
    "products.next": "Następna",
    "binding.synced": "zsynchronizowany",
    "binding.failed": "błąd",
    "binding.never": "nigdy",
    "actions.title": "Akcje",
    "actions.shops": "Sklepy",
    "actions.import": "Importuj ze sklepów",
    "actions.export_selected": "Eksportuj zaznaczone ({n})",
    "actions.export_all": "Eksportuj wszystkie",
    "actions.sync": "Synchronizuj zmiany",
    "actions.no_shop": "Wybierz co najmniej jeden sklep.",
    "actions.no_selection": "Najpierw zaznacz produkty do eksportu.",
    "files.title": "Plik katalogu",
    "files.file": "Plik CSV lub XLSX",
    "files.profile": "Profil kolumn",
    "files.no_profile": "Brak: kolumny z pliku",
    "files.dry_run": "Próba: tylko pokaż zmiany",
    "files.upload": "Importuj plik",
    "files.no_file": "Najpierw wybierz plik.",
    "files.started": "Uruchomiono import pliku #{id}.",
    "files.ignored": "Te kolumny nie są kolumnami katalogu i zostaną pominięte: {columns}",
    "files.export": "Eksportuj katalog:",
    "files.csv": "CSV",
    "files.xlsx": "XLSX",
    "sync.report": "Raport tych operacji:",
    "sync.title": "Centrum synchronizacji",
    "sync.subtitle": "Monitoruj i zarządzaj operacjami import/eksport/synchronizacja z PrestaShop",
    "sync.filter_status": "Status",
    "sync.filter_shop": "Sklep",
    "sync.filter_type": "Typ",
    "sync.filter_apply": "Filtruj",
    "sync.all": "Wszystkie",
    "sync.active": "Aktywne",
    "sync.history": "Operacje",
    "sync.page": "Strona {page} z {pages}",
    "sync.stats": "Statystyki",
    "sync.days": "Ostatnie {days} dni",
    "stats.jobs": "Zadania",
    "stats.success_rate": "Skuteczność",
    "stats.items": "Produkty",
    "stats.avg_duration": "Średni czas",
    "stats.chart": "Zadania dziennie (ukończone, błędne, anulowane)",
    "stats.none": "—",
    "shops.title": "Sklepy",
    "shops.add": "Dodaj sklep",
    "shops.name": "Nazwa",
    "shops.url": "Adres sklepu",
    "shops.key": "Klucz webservice",
    "shops.key_keep": "zostaw puste, aby zachować obecny klucz",
    "shops.save": "Zapisz",
    "shops.edit": "Edytuj",
    "shops.delete": "Usuń…",
    "shops.delete_confirm": "Usuń {shop} na zawsze",
    "shops.test": "Testuj połączenie",
    "shops.added": "Dodano sklep {shop}.",
    "shops.saved": "Zapisano sklep {shop}.",
    "shops.deleted": "Usunięto sklep {shop}.",
    "shops.test_ok": "{shop} odpowiada jako {name}, PrestaShop {version}.",
    "shops.test_failed": "{shop}: {error}",
    "shops.none": "Nie dodano jeszcze żadnego sklepu.",
    "shops.synced_until": "Zsynchronizowano do",
    "shops.never": "nigdy",
    "time.s": "{n} s",
    "time.m": "{m} min {s} s",
    "time.h": "{h} godz. {m} min",
    "push.fallback": "Aktualizacje na żywo niedostępne; odświeżanie co kilka sekund.",
}

TABLES = {"en": EN, "pl": PL}


@dataclass(frozen=True)
class Texts:
    """The texts of one language."""

    lang: str

    @property
    def table(self) -> dict[str, str]:
        return TABLES[self.lang]

    def t(self, key: str, **values: object) -> str:
        """The text for `key` with `{name}` placeholders filled; the key itself when unknown."""
        text = self.table.get(key, key)
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    def duration(self, seconds: float | None) -> str:
        """`42 s`, `3 min 5 s`, `2 h 10 min`; empty when unknown."""
        if seconds is None:
            return ""
        s = int(round(seconds))
        if s < 60:
            return self.t("time.s", n=s)
        if s < 3600:
            return self.t("time.m", m=s // 60, s=s % 60)
        return self.t("time.h", h=s // 3600, m=s % 3600 // 60)

    @staticmethod
    def kind(job: dict[str, Any]) -> str:
        """The text family of a job: a dry run of a file reads as a check, not an import."""
        return "file_check" if job["type"] == "file_import" and job.get("preview") else str(job["type"])

    def subject(self, job: dict[str, Any]) -> str:
        """Who the job is with: its shop, or the file a file import reads."""
        fallback = "job.unnamed_file" if job["type"] == "file_import" else "job.shop_deleted"
        return str(job["shop_name"]) or self.t(fallback)

    def job(self, job: dict[str, Any]) -> dict[str, Any]:
        """How a job card reads (the job JSON in, texts and button states out).

        `static/js/cards.js` does the same for live updates; keep the two in step.
        """
        status, kind, failed = job["status"], self.kind(job), job["failed"]
        count = f"{job['processed']}/{job['total']}" if job["total"] > 0 else str(job["processed"])
        shop = self.subject(job)
        running = status == "running"
        return {
            "title": self.t(f"job.{status}.{kind}", count=count, shop=shop),
            "badge": self.t(f"status.{status}"),
            "errors": self.t(f"job.errors.{kind}", n=failed) if failed else "",
            "elapsed": self.t("job.elapsed", elapsed=self.duration(job["elapsed_s"])) if job["elapsed_s"] else "",
            "rate": self.t("job.rate", rate=job["rate_per_s"]) if running and job["rate_per_s"] else "",
            "eta": self.t("job.eta", eta=self.duration(job["eta_s"])) if running and job["eta_s"] else "",
            # The allowed actions come with the job (progress.allowed_actions): read, never re-derived.
            "can_cancel": "cancel" in job["actions"],
            "can_retry": "retry" in job["actions"],
            "can_retry_failed": "retry_failed" in job["actions"],
            "can_confirm": "confirm" in job["actions"],
            "can_apply": "apply" in job["actions"],
        }


def parse_accept_language(header: str) -> list[str]:
    """Primary language tags from an Accept-Language header, best first (`q=0` dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, index, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(ranked)]


def choose_language(cookie: str | None, accept_language: str) -> str:
    """The cookie's language when valid, else the browser's best supported one, else English."""
    if cookie in LANGUAGES:
        return cookie
    for tag in parse_accept_language(accept_language):
        if tag in LANGUAGES:
            return tag
    return DEFAULT
