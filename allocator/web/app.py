"""The HTTP side of ``regio serve``: the page, and the JSON API it uses (public, documented in docs/web.md).

``POST /api/solve | /api/extra-budget | /api/pareto | /api/programme`` queue a job (202 ``{"job": ID}``);
``GET /api/jobs/ID`` follows it; ``DELETE /api/jobs/ID`` cancels it; ``GET /api/jobs`` lists this and
earlier servers' runs.  Scenario values are checked by the same pydantic scenario model as files and
``--set`` before a job is queued: a bad value answers 422 naming the key; a full queue answers 429; a
body over :data:`MAX_BODY` bytes 413.  No request names a file: jobs and downloads are addressed by job
id only, and scenario keys that name files (``extends``, ``agendas``) are refused.
"""

from __future__ import annotations

import asyncio
import gc
import io
import zipfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import jinja2
import pandas as pd
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from allocator.api import load_instance, prepare
from allocator.errors import InputError
from allocator.export import unquote_cells, write_excel
from allocator.multiyear.run import parse_years
from allocator.policy import Mode
from allocator.reports.page import vega_javascript, write_report
from allocator.web import views
from allocator.web.i18n import LANGUAGES
from allocator.web.jobs import JobBoard, QueueFull
from allocator.web.store import to_json

HERE = Path(__file__).parent
MAX_BODY = 64 * 1024  # bytes a request body may have
MAX_WAIT = 10.0  # seconds a request for a job may wait for its end (GET /api/jobs/ID?wait=)
FILE_KEYS = ("extends", "agendas")  # scenario keys that name files: not from the web


class JobRequest(BaseModel):
    """A job: scenario values (the scenario file's keys), the mode, a label for the list of runs."""

    model_config = ConfigDict(extra="forbid")
    scenario: dict[str, Any] = Field(default_factory=dict, description="scenario keys and values, as in a scenario file")
    mode: Mode | None = Field(None, description="weighted or lexicographic (default: the scenario's mode)")
    label: str = Field("", max_length=200, description="a name for the list of runs")


class ExtraBudgetRequest(JobRequest):
    epsilon: float = Field(0.0, ge=0, description="allowed shortfall Q (person-services)")


class ParetoRequest(JobRequest):
    points: int = Field(5, ge=3, le=15, description="points of the W–Q front")


class ProgrammeRequest(JobRequest):
    years: str = Field("2026-2030", max_length=20, description="FIRST-LAST calendar years")


def create_app(instance_ref: str = "nl", results: str | Path = "regio-results", workers: int = 1,
               max_jobs: int = 8) -> FastAPI:
    """The app over ``instance_ref`` (a shipped name or a folder), keeping job folders in ``results``."""
    inst = load_instance(instance_ref)
    defaults = prepare(inst)
    state: dict = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state["board"] = JobBoard(instance_ref, Path(results), workers=workers, max_jobs=max_jobs)
        # what the server holds for good (the instance, its defaults, the app) is left out of the garbage collector's
        # full collections: each walked all of it, 0.08 s that fell on whichever request came then (nl: a result view
        # 0.017 → 0.10 s, a λ what-if request to view 0.98 → 1.07 s)
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            state["board"].close()

    app = FastAPI(title="regio", summary="What-ifs on the allocation of budgets and facilities across Dutch regions",
                  version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)  # their pages load from a CDN
    app.add_middleware(BodyLimit, limit=MAX_BODY)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    pages = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)

    def board() -> JobBoard:
        return state["board"]

    @app.exception_handler(InputError)
    async def input_error(_request: Request, err: InputError):
        return JSONResponse({"detail": [issue_detail(i) for i in err.issues]}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, err: Exception):  # never a traceback page
        return JSONResponse({"detail": f"internal error: {type(err).__name__}"}, status_code=500)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(lang: str = "nl"):
        lang = lang if lang in LANGUAGES else "nl"
        return pages.get_template("index.html").render(lang=lang, title=inst.manifest.title, instance=inst.name)

    @app.get("/vega.js", include_in_schema=False)
    async def vega():
        return Response(vega_javascript(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/api/instance")
    async def instance():
        """The instance: name, facility types with their norms, region tags, and the scenario defaults."""
        ft = defaults.ftypes
        tags = sorted({t for s in defaults.regions["tag_set"] for t in s})
        return json_response({"name": inst.name, "title": inst.manifest.title, "regions": len(inst.regions),
                              "facility_types": [{"id": k, "name": r["name"], "norm": r["norm"], "unit": r["norm_unit"]}
                                                 for k, r in ft.iterrows()],
                              "tags": tags, "scenario": defaults.scenario.model_dump(mode="json")})

    @app.get("/api/municipalities")
    async def municipalities():
        return json_response(views.municipalities(inst))

    @app.get("/api/municipalities/{region_id}")
    async def municipality(region_id: str, lang: str = "nl"):
        found = await asyncio.to_thread(views.profile, defaults, region_id, lang)
        if found is None:
            raise HTTPException(404, f"no municipality with code {region_id!r}")
        return json_response(found)

    @app.get("/api/boundaries")
    async def boundaries():
        return JSONResponse(views.boundaries_features(inst), headers={"Cache-Control": "public, max-age=86400"})

    async def queue(kind: str, req: JobRequest, params: dict) -> JSONResponse:
        bad = [k for k in FILE_KEYS if k in req.scenario]
        if bad:
            raise HTTPException(422, [{"key": k, "message": "files cannot be named from the web app"} for k in bad])
        await asyncio.to_thread(prepare, inst, req.scenario)  # the scenario model's checks: 422 naming the key
        try:
            job = board().submit(kind, req.scenario, params, req.label)
        except QueueFull as err:
            raise HTTPException(429, str(err)) from None
        return JSONResponse({"job": job}, status_code=202, headers={"Location": f"/api/jobs/{job}"})

    @app.post("/api/solve", status_code=202)
    async def solve(req: JobRequest):
        """Solve one scenario (weighted or lexicographic) on a warm model."""
        return await queue("solve", req, {"mode": req.mode})

    @app.post("/api/extra-budget", status_code=202)
    async def extra_budget(req: ExtraBudgetRequest):
        """The VNG question: the least extra money for Q ≤ ε with nobody worse off (the scenario's hold-harmless)."""
        return await queue("extra-budget", req, {"epsilon": req.epsilon})

    @app.post("/api/pareto", status_code=202)
    async def pareto(req: ParetoRequest):
        """The W–Q Pareto front."""
        return await queue("pareto", req, {"points": req.points})

    @app.post("/api/programme", status_code=202)
    async def programme(req: ProgrammeRequest):
        """A multi-year programme over ``years``."""
        try:
            first, last = parse_years(req.years)
        except InputError:
            raise HTTPException(422, [{"key": "years", "message": "expected FIRST-LAST, e.g. 2026-2030"}]) from None
        return await queue("programme", req, {"years": f"{first}-{last}"})

    @app.get("/api/jobs")
    async def jobs():
        """This and earlier servers' runs, latest first."""
        return json_response(board().list())

    @app.get("/api/jobs/{job_id}")
    async def job(job_id: str, wait: float = Query(0.0, ge=0.0, le=MAX_WAIT)):
        """A job: status (queued, running, done, failed, cancelled), progress, and when done its result.

        ``wait`` (seconds, at most :data:`MAX_WAIT`): answer when the job finishes or after that long, whichever
        comes first: a page following a job hears of its end at once, and of its progress every ``wait``.
        """
        found(board().get(job_id), job_id)
        await board().wait(job_id, wait)
        return json_response(found(board().get(job_id), job_id))

    @app.delete("/api/jobs/{job_id}")
    async def cancel(job_id: str):
        """Cancel a queued or running job (a finished job stays as it is)."""
        return json_response(found(board().cancel(job_id), job_id))

    @app.get("/api/jobs/{job_id}/view")
    async def view(job_id: str, lang: str = "nl"):
        """The result as the page shows it: the report's sections with Vega-Lite specs and tables."""
        folder = result_folder(job_id)
        return json_response(await asyncio.to_thread(views.result_view, folder, lang if lang in LANGUAGES else "nl", inst))

    @app.get("/api/jobs/{job_id}/download/{fmt}")
    async def download(job_id: str, fmt: Literal["csv", "xlsx", "html"]):
        """The result as a zip of CSV tables, one Excel workbook, or the self-contained HTML report."""
        folder = result_folder(job_id)
        if fmt == "html":
            report = folder / "report.html"
            if not report.exists():
                await asyncio.to_thread(write_report, folder)
            return FileResponse(report, media_type="text/html", filename=f"regio-{job_id}.html")
        if fmt == "xlsx":
            books = sorted(folder.glob("*.xlsx"))
            book = books[0] if books else await asyncio.to_thread(workbook, folder)
            return FileResponse(book, filename=f"regio-{job_id}.xlsx")
        return Response(zip_tables(folder), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="regio-{job_id}.zip"'})

    def result_folder(job_id: str) -> Path:
        folder = board().folder(job_id)
        if folder is None:
            raise HTTPException(404, f"job {job_id!r} has no result (not finished, failed, or unknown)")
        return folder

    return app


def issue_detail(issue) -> dict:
    """An input issue as the API reports it: the scenario key it names, and the message."""
    key, _, message = issue.message.partition(": ")
    return {"key": key if message else None, "message": message or issue.message}


def found(record: dict | None, job_id: str) -> dict:
    if record is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return record


def json_response(value, status_code: int = 200) -> Response:
    """Strict JSON (NaN and infinities as null)."""
    return Response(to_json(value), status_code=status_code, media_type="application/json")


def workbook(folder: Path) -> Path:
    """``tables.xlsx`` of a result folder's CSV tables (made once, on the first download)."""
    ids = {c: str for c in ("region_id", "site_id", "point_id", "ftype_id", "domain_id", "stream_id")}
    frames = {p.stem: unquote_cells(pd.read_csv(p, dtype=ids)) for p in sorted(folder.glob("*.csv"))}
    path = folder / "tables.xlsx"
    tmp = folder / ".tables.xlsx.part"
    write_excel(frames, tmp)
    tmp.replace(path)
    return path


def zip_tables(folder: Path) -> bytes:
    """Every CSV of a result folder (subfolders included) and its scenario, in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and path.suffix in (".csv", ".toml", ".json"):
                z.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


class BodyLimit:
    """ASGI middleware: a request body larger than ``limit`` bytes answers 413 (counted as it arrives)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await JSONResponse({"detail": f"request body over {self.limit} bytes"}, status_code=413)(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413, f"request body over {self.limit} bytes")
            return message

        return await self.app(scope, counted, send)
