#!/usr/bin/env python3
"""A fake Jenkins for the tests: an HTTP server on 127.0.0.1 that answers the part of Jenkins'
documented remote-access API Gennaker uses, the way Jenkins answers it. Maven Central does not
serve org.jenkins-ci.main:jenkins-war, so a real Jenkins cannot be installed here.

  POST /job/<name>/buildWithParameters  (form or query parameters)  201, Location: <queue item>
  POST /job/<name>/build                                             201, Location: <queue item>
  GET  /queue/item/<id>/api/json     waiting ("why"), then left the queue ("executable")
  GET  /job/<name>/<n>/api/json      building, then "result" and "artifacts"
  GET  /job/<name>/<n>/artifact/<path>
  GET  /api/json                     the jobs
  Folders: /job/<folder>/job/<name>/...

Every request needs HTTP basic auth with the user and API token given on the command line (401
with WWW-Authenticate otherwise), as Jenkins with security enabled does for an API token.

The jobs (fixed): "build-web" takes parameters VERSION and RESULT (the result the build ends
with: SUCCESS by default, UNSTABLE, FAILURE or ABORTED), stays queued 0.5 s, builds for 1.5 s and
archives build.properties with imageTag=<VERSION>; "team/nightly" (in folder "team") takes no
parameters and succeeds.

  fake-jenkins.py PORT USER TOKEN_FILE
"""

import base64
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

QUEUE_SECONDS = 0.5
BUILD_SECONDS = 1.5
JOBS = {
    "build-web": {"parameters": {"VERSION": "0.0.0", "RESULT": "SUCCESS"}},
    "team/nightly": {"parameters": None},
}
RESULTS = {"SUCCESS", "UNSTABLE", "FAILURE", "ABORTED"}

lock = threading.Lock()
queue = {}  # id -> {"job", "parameters", "queued_at", "number"}
builds = {}  # (job, number) -> {"parameters", "started_at"}
next_number = {name: 1 for name in JOBS}
next_queue_id = [100]


def job_path(segments):
    """('job', 'team', 'job', 'nightly', rest...) -> ('team/nightly', rest)."""
    names = []
    while len(segments) >= 2 and segments[0] == "job":
        names.append(unquote(segments[1]))
        segments = segments[2:]
    return "/".join(names), segments


def promote():
    """Starts every queued build whose quiet period is over, as Jenkins does by itself
    (called with the lock held, whenever the state is read)."""
    for item in queue.values():
        if item["number"] is None and time.time() - item["queued_at"] >= QUEUE_SECONDS:
            job = item["job"]
            item["number"] = next_number[job]
            next_number[job] += 1
            builds[(job, item["number"])] = {"parameters": item["parameters"], "started_at": time.time()}


def job_url(base, name):
    return base + "".join(f"job/{part}/" for part in name.split("/"))


def build_state(job, number, base):
    build = builds[(job, number)]
    elapsed = time.time() - build["started_at"]
    building = elapsed < BUILD_SECONDS
    parameters = build["parameters"] or {}
    url = f"{job_url(base, job)}{number}/"
    artifacts = []
    if not building and "VERSION" in parameters:
        artifacts = [{"displayPath": "build.properties", "fileName": "build.properties",
                      "relativePath": "out/build.properties"}]
    return {
        "_class": "hudson.model.FreeStyleBuild",
        "number": number,
        "url": url,
        "displayName": f"#{number}",
        "fullDisplayName": f"{job.replace('/', ' » ')} #{number}",
        "building": building,
        "result": None if building else parameters.get("RESULT", "SUCCESS"),
        "duration": 0 if building else int(BUILD_SECONDS * 1000),
        "timestamp": int(build["started_at"] * 1000),
        "artifacts": artifacts,
        "actions": [{"_class": "hudson.model.ParametersAction",
                     "parameters": [{"name": k, "value": v} for k, v in parameters.items()]}]
        if parameters else [],
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "Jetty(fake-jenkins)"

    def log_message(self, fmt, *args):
        sys.stderr.write("[fake-jenkins] " + (fmt % args) + "\n")

    def base(self):
        return f"http://{self.headers.get('Host', '127.0.0.1')}/"

    def send(self, status, body=None, content_type="application/json", headers=()):
        data = b""
        if body is not None:
            data = (json.dumps(body) if content_type == "application/json" else body).encode()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("X-Jenkins", "2.492.3")
        if data:
            self.send_header("Content-Type", f"{content_type};charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        expected = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
        if self.headers.get("Authorization") == expected:
            return True
        self.send(401, "<html><body>Authentication required</body></html>", "text/html",
                  [("WWW-Authenticate", 'Basic realm="Jenkins"')])
        return False

    def do_GET(self):
        if not self.authorized():
            return
        path = urlsplit(self.path).path
        segments = [s for s in path.split("/") if s]
        base = self.base()
        if segments == ["api", "json"]:
            return self.send(200, {"_class": "hudson.model.Hudson", "mode": "NORMAL",
                                   "jobs": [{"name": n, "url": job_url(base, n), "color": "blue"} for n in JOBS]})
        if segments[:2] == ["queue", "item"] and len(segments) == 5:
            with lock:
                item = queue.get(int(segments[2])) if segments[2].isdigit() else None
                if item is None:
                    return self.send(404, "<html>Not found</html>", "text/html")
                job = item["job"]
                body = {"id": int(segments[2]), "task": {"name": job, "url": job_url(base, job)},
                        "cancelled": False, "stuck": False, "blocked": False}
                promote()
                if item["number"] is None:
                    body.update({"_class": "hudson.model.Queue$WaitingItem", "why": "In the quiet period.",
                                 "executable": None})
                else:
                    body.update({"_class": "hudson.model.Queue$LeftItem", "why": None,
                                 "executable": {"_class": "hudson.model.FreeStyleBuild", "number": item["number"],
                                                "url": f"{job_url(base, job)}{item['number']}/"}})
            return self.send(200, body)
        job, rest = job_path(segments)
        if job not in JOBS:
            return self.send(404, "<html>Not found</html>", "text/html")
        if rest and rest[0].isdigit():
            number = int(rest[0])
            with lock:
                if (job, number) not in builds:
                    return self.send(404, "<html>Not found</html>", "text/html")
                state = build_state(job, number, base)
            if rest[1:] == ["api", "json"]:
                return self.send(200, state)
            if rest[1:2] == ["artifact"] and not state["building"]:
                wanted = "/".join(rest[2:])
                if any(a["relativePath"] == wanted for a in state["artifacts"]):
                    parameters = builds[(job, number)]["parameters"]
                    text = (f"# written by build #{number}\nimageTag={parameters['VERSION']}\n"
                            f"buildResult={state['result']}\n")
                    return self.send(200, text, "text/plain")
            return self.send(404, "<html>Not found</html>", "text/html")
        if rest == ["api", "json"]:
            with lock:
                promote()
                listed = [build_state(job, n, base) for (j, n) in sorted(builds, reverse=True) if j == job]
            defined = JOBS[job]["parameters"] or {}
            return self.send(200, {"_class": "hudson.model.FreeStyleProject", "name": job.split("/")[-1],
                                   "fullName": job, "url": job_url(base, job), "buildable": True,
                                   "nextBuildNumber": next_number[job],
                                   # Newest first, as Jenkins lists them (its ?tree= is not needed).
                                   "builds": listed,
                                   "property": [{"_class": "hudson.model.ParametersDefinitionProperty",
                                                 "parameterDefinitions": [{"name": k, "defaultParameterValue": {"value": v}}
                                                                          for k, v in defined.items()]}] if defined else []})
        return self.send(404, "<html>Not found</html>", "text/html")

    def do_POST(self):
        if not self.authorized():
            return
        url = urlsplit(self.path)
        segments = [s for s in url.path.split("/") if s]
        job, rest = job_path(segments)
        if job not in JOBS or rest not in (["build"], ["buildWithParameters"]):
            return self.send(404, "<html>Not found</html>", "text/html")
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(length).decode() if length else ""
        given = dict(parse_qsl(url.query)) | dict(parse_qsl(form))
        defined = JOBS[job]["parameters"]
        if rest == ["buildWithParameters"] and defined is None:
            return self.send(400, f"<html>{job} is not parameterized</html>", "text/html")
        parameters = None
        if defined is not None:
            unknown = set(given) - set(defined)
            if unknown:
                return self.send(400, f"<html>unknown parameters {sorted(unknown)}</html>", "text/html")
            parameters = defined | given
            if parameters["RESULT"] not in RESULTS or not re.fullmatch(r"[\w.+-]+", parameters["VERSION"]):
                return self.send(400, "<html>bad parameter value</html>", "text/html")
        with lock:
            queue_id = next_queue_id[0]
            next_queue_id[0] += 1
            queue[queue_id] = {"job": job, "parameters": parameters, "queued_at": time.time(), "number": None}
        self.send(201, headers=[("Location", f"{self.base()}queue/item/{queue_id}/")])


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: fake-jenkins.py PORT USER TOKEN_FILE")
    PORT, USER = int(sys.argv[1]), sys.argv[2]
    with open(sys.argv[3], encoding="utf-8") as f:
        TOKEN = f.read().strip()
    ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
