"""WhatsApp's approved message templates (issue 15, item 4).

Outside a person's 24-hour service window WhatsApp carries only templates Meta approved. Aksi
needs one per kind of message nobody asked for (`core.channel.UNPROMPTED`): each has Aksi's own
words around one parameter, `{{1}}`, which carries the message itself on one line
(`whatsapp_render.template_param`). The organiser submits the texts `aksi whatsapp templates`
prints (category UTILITY), in each language they run cohorts in, and names the approved ones:

    WHATSAPP_TEMPLATES=reminder=aksi_pengingat,session=aksi_sesi,announcement=aksi_pengumuman
    WHATSAPP_TEMPLATE_LANGUAGES=id,en

A kind with no template is not sent outside the window: it is counted as "needs template"."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
from pywa.types.templates import TemplateLanguage

from core.channel import UNPROMPTED

CATEGORY = "UTILITY"
_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_LANGUAGES = frozenset(language.value for language in TemplateLanguage)


@dataclass(frozen=True)
class Templates:
    """The approved templates: kind → name, each approved in `languages` (Meta's codes, the
    first used for a reader whose language is none of them)."""

    names: Mapping[str, str] = field(default_factory=dict)
    languages: tuple[str, ...] = ("id",)

    def pick(self, kind: str, lang: str) -> tuple[str, str] | None:
        """The template's name and language code for a message of `kind` to a reader of
        `lang`; None when no template is configured for the kind."""
        name = self.names.get(kind)
        if name is None:
            return None
        code = next((c for c in self.languages if c.split("_")[0] == lang), self.languages[0])
        return name, code

    def missing(self) -> list[str]:
        return [kind for kind in UNPROMPTED if kind not in self.names]


def parse_names(spec: str) -> dict[str, str]:
    """`reminder=aksi_pengingat,session=aksi_sesi` as {kind: name}; ValueError naming the
    first thing wrong."""
    names: dict[str, str] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        kind, equals, name = (s.strip() for s in item.partition("="))
        if not equals or not name:
            raise ValueError(f"{item!r} is not kind=template_name")
        if kind not in UNPROMPTED:
            raise ValueError(f"unknown kind {kind!r} (kinds: {', '.join(UNPROMPTED)})")
        if not _NAME.match(name):
            raise ValueError(f"template name {name!r}: lower-case letters, digits and _ only")
        if kind in names:
            raise ValueError(f"{kind!r} is named twice")
        names[kind] = name
    return names


def parse_languages(spec: str) -> tuple[str, ...]:
    """`id,en` as Meta's language codes, in order; ValueError naming a bad one."""
    codes = tuple(c.strip() for c in spec.split(",") if c.strip())
    for code in codes:
        if code not in _LANGUAGES:
            raise ValueError(f"{code!r} is not a language code such as id, en or en_US")
    if not codes:
        raise ValueError("name at least one language, e.g. id")
    return codes


GRAPH_VERSION = "v26.0"  # pywa 4.5's
MAX_PAGES = 20


class MetaRefused(Exception):
    """Meta's Graph API could not be asked, or refused: the message says why, in one line."""


async def statuses_at_meta(
    base_url: str, business_account_id: str, token: str, timeout: float = 20.0
) -> dict[tuple[str, str], str]:
    """Each template of the business account at Meta, (name, language) → its status
    (APPROVED, PENDING, REJECTED, PAUSED, …)."""
    url: str | None = f"{base_url}/{GRAPH_VERSION}/{business_account_id}/message_templates"
    params: dict[str, str] | None = {"fields": "name,language,status", "limit": "100"}
    found: dict[tuple[str, str], str] = {}
    async with httpx.AsyncClient(timeout=timeout) as http:
        for _ in range(MAX_PAGES):
            if url is None:
                break
            try:
                answer = await http.get(
                    url, params=params, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.HTTPError as exc:
                raise MetaRefused(f"cannot reach {base_url}: {exc.__class__.__name__}") from None
            if answer.status_code != 200:
                raise MetaRefused(f"Meta answered {answer.status_code}: {_error_of(answer)}")
            page = answer.json()
            for item in page.get("data", []):
                if isinstance(item, dict) and item.get("name") and item.get("language"):
                    found[(str(item["name"]), str(item["language"]))] = str(item.get("status"))
            url, params = page.get("paging", {}).get("next"), None
    return found


def _error_of(answer: httpx.Response) -> str:
    try:
        error = answer.json().get("error", {})
        return f"{error.get('code')} {str(error.get('message'))[:100]}"
    except ValueError:
        return answer.text[:100]


def suggested_name(kind: str) -> str:
    return f"aksi_{kind}"


# (language, key, values) → the catalog's text, as plain text.
Words = Callable[..., str]


def listing(
    templates: Templates,
    words: Words,
    lang: str,
    at_meta: dict[tuple[str, str], str] | None = None,
) -> str:
    """What `aksi whatsapp templates` prints: each kind, configured or missing (with `at_meta`,
    each configured one's status at Meta in every language), then the texts to submit to Meta
    in each configured language."""
    lines = [words(lang, "whatsapp.templates_header", languages=", ".join(templates.languages))]
    for kind in UNPROMPTED:
        name = templates.names.get(kind)
        what = words(lang, f"whatsapp.kind_{kind}")
        if name:
            lines.append(words(lang, "whatsapp.templates_configured", kind=kind, name=name,
                               what=what))  # fmt: skip
            for code in templates.languages if at_meta is not None else ():
                status = (at_meta or {}).get((name, code))
                lines.append(
                    words(lang, "whatsapp.templates_at_meta", language=code, status=status)
                    if status
                    else words(lang, "whatsapp.templates_not_at_meta", language=code)
                )
        else:
            lines.append(words(lang, "whatsapp.templates_missing", kind=kind, what=what))
    missing = templates.missing()
    if missing:
        example = ",".join(f"{k}={suggested_name(k)}" for k in UNPROMPTED)
        lines += ["", words(lang, "whatsapp.templates_how", example=example)]
    lines += ["", words(lang, "whatsapp.templates_submit", category=CATEGORY)]
    for kind in UNPROMPTED:
        name = templates.names.get(kind) or suggested_name(kind)
        lines += ["", f"== {kind}: {name} =="]
        for code in templates.languages:
            reader = code.split("_")[0]
            body = words(reader if reader in ("id", "en") else "en", f"whatsapp.template_{kind}",
                         text="{{1}}")  # fmt: skip
            lines.append(f"[{code}]\n{body}")
    return "\n".join(lines)
