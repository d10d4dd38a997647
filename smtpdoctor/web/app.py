"""The pages of `smtpdoctor serve`: Explain, Check, the code catalog. Server-rendered; JavaScript only adds
a copy button and dropping a file on the text box.

Language: `?lang=` (or the form's `lang`), else the browser's Accept-Language, else English. Links and forms
carry it, so nothing is kept between requests: no session, no cookie, nothing on disk.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

import anyio
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from smtpdoctor import __version__
from smtpdoctor.render.html import (check_view, environment, excerpt_view, explain_view, finding_ids, finding_view,
                                    group_titles, report_hits, step_view, stylesheet, t)
from smtpdoctor.render.i18n import Lang, tr
from smtpdoctor.web.guard import MAX_BODY, TIME_LIMIT, Guard

HERE = Path(__file__).parent
LANG_NAMES = {Lang.EN: "English", Lang.RU: "Русский"}  # each in its own language
EXPLAINS_AT_ONCE = 2  # scans running at once; more requests wait their turn (within their time limit)
CHECKS_AT_ONCE = 4


@dataclass(frozen=True)
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8587
    allow_check: bool = False  # the Check page opens connections for whoever reaches it: off by default
    allow_private: bool = False  # ...and never to a private, loopback or link-local address without this
    max_body: int = MAX_BODY
    time_limit: float = TIME_LIMIT
    ca_file: Path | None = None  # a lab's own CA for the Check page, as `check --ca-file`


def accepted_lang(header: str) -> Lang:
    """The first of en/ru in the browser's Accept-Language, by its q-values; English when neither is there."""
    ranked = []
    for position, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranked.append((-q, position, tag.strip().lower().split("-")[0]))
    for q, _, primary in sorted(ranked):
        if q < 0 and primary in ("en", "ru"):
            return Lang(primary)
    return Lang.EN


def lang_of(request: Request, chosen: str | None = None) -> Lang:
    for value in (chosen, request.query_params.get("lang")):
        if value in ("en", "ru"):
            return Lang(value)
    return accepted_lang(request.headers.get("accept-language", ""))


class Pages:
    """Renders the pages: the web templates over render/templates (the report's parts are shared)."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.env = environment(str(HERE / "templates"))
        for name in self.env.list_templates(extensions=["html"]):
            self.env.get_template(name)  # compiled now, once: not later in a request, in another thread
        static = HERE / "static"
        self.static = {
            "style.css": ((stylesheet() + "\n" + (static / "page.css").read_text(encoding="utf-8")).encode("utf-8"),
                          "text/css; charset=utf-8"),
            "app.js": ((static / "app.js").read_bytes(), "text/javascript; charset=utf-8"),
            "icon.svg": ((static / "icon.svg").read_bytes(), "image/svg+xml"),
        }

    def render(self, name: str, lang: Lang, *, title: str, current: str = "", switch_path: str = "/",
               switch_form: str | None = None, **context) -> str:
        switch = []
        for other in Lang:
            item = {"lang": other.value, "label": LANG_NAMES[other], "current": other is lang, "form": None, "href": None}
            if switch_form:
                item["form"] = switch_form  # resubmits the page's form: the same result, in the other language
            else:
                item["href"] = f"{switch_path}?lang={other.value}"
            switch.append(item)
        return self.env.get_template(name).render(
            lang=lang.value, t=t(lang), title=title, current=current, switch=switch, version=__version__,
            groups_title=group_titles(lang), mb=self.config.max_body >> 20, **context)

    def error(self, lang: Lang, status: int, message_id: str, **params) -> HTMLResponse:
        html = self.render("error.html", lang, title=tr("web.error.title", lang), message=tr(message_id, lang, **params))
        return HTMLResponse(html, status_code=status)

    def error_bytes(self, scope, status: int, message_id: str, **params) -> bytes:
        """For the guard: a refusal before any route ran."""
        return bytes(self.error(lang_of(Request(scope)), status, message_id, **params).body)


CheckFormShown = {"host": "", "port": "", "mode": "auto", "user": "", "sender": ""}  # an empty Check form


def code_url(lang: Lang):
    return lambda code: f"/codes/{code}?lang={lang.value}"


def make_app(config: ServeConfig):
    """The ASGI app: the routes inside the guard (web/guard.py)."""
    pages = Pages(config)
    explain_slots = anyio.CapacityLimiter(EXPLAINS_AT_ONCE)
    check_slots = asyncio.Semaphore(CHECKS_AT_ONCE)

    async def explain_form(request: Request) -> Response:
        lang = lang_of(request)
        return HTMLResponse(pages.render("explain.html", lang, title=tr("web.explain.title", lang), current="explain",
                                         view=None, error=None, prefill=""))

    async def explain_post(request: Request) -> Response:
        form = await _form(request, config.max_body)
        if form is None:
            return pages.error(lang_of(request), 400, "web.error.bad_form")
        lang = lang_of(request, form.get("switch") or form.get("lang"))
        data = await _input_bytes(form)
        if not data.strip():
            html = pages.render("explain.html", lang, title=tr("web.explain.title", lang), current="explain", view=None,
                                error=tr("web.explain.empty", lang), prefill="")
            return HTMLResponse(html, status_code=400)
        from smtpdoctor.errors import SmtpdoctorError
        from smtpdoctor.web.explain import explain_bytes

        stop = threading.Event()
        try:
            done = await anyio.to_thread.run_sync(explain_bytes, data, stop, limiter=explain_slots, abandon_on_cancel=True)
        except SmtpdoctorError as exc:  # a read error of the input itself (a damaged file): said, not a 500
            reason = tr(exc.message_id, lang, **exc.params)
            return pages.error(lang, 400, "web.error.unreadable", reason=reason)
        finally:
            stop.set()  # a scan still running (this request timed out) stops at its next read
        from smtpdoctor.knowledge.catalog import load_catalog

        catalog = load_catalog()
        report = done.report
        excerpt = None
        if done.lines is not None:
            excerpt = excerpt_view(done.lines, report_hits(report, finding_ids(report, catalog)), lang)
        view = explain_view(report, catalog, lang, code_url=code_url(lang), excerpt=excerpt)
        html = pages.render("explain.html", lang, title=tr("web.explain.results", lang), current="explain", view=view,
                            error=None, prefill=done.prefill, switch_form="explain-form" if done.prefill else None,
                            no_source=tr("web.explain.no_source", lang))
        return HTMLResponse(html)

    async def check_page(request: Request) -> Response:
        lang = lang_of(request)
        html = pages.render("check.html", lang, title=tr("web.check.title", lang), current="check", switch_path="/check",
                            allowed=config.allow_check, errors=[], form=CheckFormShown)
        return HTMLResponse(html, status_code=200 if config.allow_check else 403)

    async def check_post(request: Request) -> Response:
        from smtpdoctor.web.check import read_form, refusal, target_of

        lang = lang_of(request)
        if not config.allow_check:
            return await check_page(request)
        values = await _form(request, 64 << 10)
        if values is None:
            return pages.error(lang, 400, "web.error.bad_form")
        lang = lang_of(request, values.get("lang"))
        form = read_form(values)
        host, port, errors = target_of(form)
        if not errors:
            refused = await refusal(host, port, config.allow_private)
            errors = [refused] if refused else []
        if errors:
            html = pages.render("check.html", lang, title=tr("web.check.title", lang), current="check",
                                switch_path="/check", allowed=True, errors=[tr(m, lang, **p) for m, p in errors],
                                form=form.shown())
            return HTMLResponse(html, status_code=400)
        return StreamingResponse(_checked(form, host, port, lang), media_type="text/html; charset=utf-8")

    async def _checked(form, host: str, port: int, lang: Lang):
        """The page in three parts: its top, each step as it finishes, then the report and the form again."""
        from smtpdoctor.web.check import prepared

        steps_here, result_here = "\x00steps\x00", "\x00result\x00"
        page = pages.render("check_run.html", lang, title=tr("web.check.title", lang), current="check",
                            switch_path="/check", host=form.host, form=form.shown(),
                            steps_here=Markup(steps_here), result_here=Markup(result_here))
        top, rest = page.split(steps_here)
        middle, bottom = rest.split(result_here)
        yield top.encode("utf-8")
        read, opts, redactor = prepared(form, host, port, config.ca_file)
        form.password = ""  # from here on the password lives in the settings read (a Secret) only
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        step_template = pages.env.get_template("report/step.html")

        def on_step(step) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, ("step", step))

        def job() -> None:
            from smtpdoctor.app import run_check
            from smtpdoctor.knowledge.providers import load_providers, resolve_providers_path

            try:
                import os

                providers = load_providers(resolve_providers_path(None, os.environ))
                report = run_check(read.inp, {}, providers, opts, on_step=on_step, source=read)
                loop.call_soon_threadsafe(queue.put_nowait, ("done", (report, providers)))
            except Exception as exc:  # noqa: BLE001 - said on the page by its class or message id, never raised on
                loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))

        started = loop.time()
        async with check_slots:
            loop.run_in_executor(None, job)
            while True:
                kind, value = await queue.get()
                if kind == "step":
                    step_html = step_template.render(s=step_view(value, lang), t=t(lang))
                    yield (redactor.stream_text(step_html) + "\n").encode("utf-8")
                    continue
                break
        yield middle.encode("utf-8")
        yield redactor.stream_text(_check_result(kind, value, lang, loop.time() - started)).encode("utf-8")
        yield bottom.encode("utf-8")

    def _check_result(kind: str, value, lang: Lang, seconds: float) -> str:
        template = pages.env.get_template("check_result.html")
        common = {"t": t(lang), "groups_title": group_titles(lang), "lang": lang.value}
        if kind == "error":
            from smtpdoctor.errors import SmtpdoctorError

            if isinstance(value, SmtpdoctorError):
                failure = tr(value.message_id, lang, **value.params)
            else:
                failure = tr("web.error.internal", lang, kind=value.__class__.__name__)
            return template.render(failure=failure, **common)
        from smtpdoctor.knowledge.catalog import load_catalog

        report, providers = value
        view = check_view(report, load_catalog(), lang, providers=providers, code_url=code_url(lang), steps_shown=True)
        return template.render(failure=None, view=view, done=tr("web.check.done", lang, seconds=f"{seconds:.1f}"),
                               **common)

    async def codes(request: Request) -> Response:
        from smtpdoctor.knowledge.catalog import load_catalog

        lang = lang_of(request)
        families: dict[str, list[dict]] = {}
        for code, entry in load_catalog().entries.items():
            families.setdefault(code.split(".")[0], []).append(
                {"code": code, "title": entry.title.get(lang.value), "severity": entry.severity.value,
                 "severity_label": tr("severity." + entry.severity.value, lang).capitalize()})
        html = pages.render("codes.html", lang, title=tr("web.codes.title", lang), current="codes", switch_path="/codes",
                            families=[{"name": name, "codes": items} for name, items in families.items()])
        return HTMLResponse(html)

    async def code(request: Request) -> Response:
        from smtpdoctor.knowledge.catalog import load_catalog
        from smtpdoctor.report import Finding

        lang = lang_of(request)
        wanted = request.path_params["code"]
        catalog = load_catalog()
        if wanted not in catalog:
            return pages.error(lang, 404, "web.error.unknown_code", code=wanted)
        view = finding_view(Finding(code=wanted), catalog, lang, number=1)
        html = pages.render("code.html", lang, title=f"{wanted} · {view['title']}", current="codes",
                            switch_path=f"/codes/{wanted}", f=view)
        return HTMLResponse(html)

    async def static(request: Request) -> Response:
        found = pages.static.get(request.path_params["name"])
        if found is None:
            return pages.error(lang_of(request), 404, "web.error.not_found")
        body, media_type = found
        return Response(body, media_type=media_type)

    async def not_found(request: Request, exc) -> Response:
        status = getattr(exc, "status_code", 404)
        return pages.error(lang_of(request), status if status in (404, 405) else 404, "web.error.not_found")

    routes = [
        Route("/", explain_form, methods=["GET"]),
        Route("/explain", explain_form, methods=["GET"]),
        Route("/explain", explain_post, methods=["POST"]),
        Route("/check", check_page, methods=["GET"]),
        Route("/check", check_post, methods=["POST"]),
        Route("/codes", codes, methods=["GET"]),
        Route("/codes/{code}", code, methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/favicon.ico", lambda request: RedirectResponse("/static/icon.svg", status_code=301), methods=["GET"]),
    ]
    inner = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    allowed = None if config.host in ("0.0.0.0", "::", "") else _host_names(config.host)
    return Guard(inner, pages.error_bytes, allowed, config.max_body, config.time_limit)


def _host_names(host: str) -> frozenset[str]:
    """The names a browser may use for this page: the address it listens on, and localhost's for loopback."""
    from smtpdoctor.web.guard import LOOPBACK_NAMES

    names = {host.lower(), f"[{host.lower()}]"}
    if host in LOOPBACK_NAMES or host.startswith("127."):
        names |= LOOPBACK_NAMES
    return frozenset(names)


async def _form(request: Request, limit: int):
    """The form, parsed in memory: a file part larger than Starlette's 1 MB spool would go to a temporary
    file on disk, so the spool here is larger than any body the guard lets through."""
    from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

    class InMemory(MultiPartParser):
        spool_max_size = limit + 1

    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("multipart/form-data"):
            return await InMemory(request.headers, request.stream(), max_files=1, max_fields=20, max_part_size=limit).parse()
        if content_type.startswith("application/x-www-form-urlencoded"):
            return await FormParser(request.headers, request.stream(), max_fields=20, max_part_size=limit).parse()
    except (MultiPartException, ValueError, UnicodeDecodeError):
        return None
    return None


async def _input_bytes(form) -> bytes:
    """The uploaded file when one was chosen, else the text box (as UTF-8, which the scan reads first)."""
    upload = form.get("file")
    if upload is not None and not isinstance(upload, str):
        data = await upload.read()
        await upload.close()
        if data:
            return data
    text = form.get("text")
    return text.encode("utf-8", "surrogatepass") if isinstance(text, str) else b""
