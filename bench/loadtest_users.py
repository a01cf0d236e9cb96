"""`make loadtest`: the simulated users. Standard library only (http.client), one thread per user.

A Browser keeps its cookies and answers redirects itself (a 302 after a POST is the acknowledgement we count).
Every request is timed under an action name; a status other than the expected ones is an error, and the first few
error bodies are kept for the report.
"""

import base64
import http.client
import re
import threading
import time
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

MAX_SAVED_BODIES = 5


class Stats:
    """Latencies per action and the errors, shared by all user threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.timings = {}
        self.errors = []
        self.error_count = 0

    def record(self, action, seconds, status, ok, body, method, path):
        with self.lock:
            self.timings.setdefault(action, []).append((seconds, ok))
        if not ok:
            self.fail(action, status, body, method, path)

    def fail(self, action, status, body, method, path):
        """An error: a wrong status, or a page without what it should have (then not a second timed request)."""
        with self.lock:
            self.error_count += 1
            if len(self.errors) < MAX_SAVED_BODIES:
                self.errors.append({"action": action, "status": status, "method": method, "path": path,
                                    "body": body[:20000].decode("utf-8", "replace")})


class FormParser(HTMLParser):
    """The forms of a page as the browser would submit them: [{"action", "fields": {name: value}, "buttons"}]."""

    def __init__(self):
        super().__init__()
        self.forms, self.links = [], []
        self._form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": {},
                          "buttons": [], "inputs": {}}
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            return
        name, kind = a["name"], a.get("type", "text").lower()
        if tag == "button" or (tag == "input" and kind == "submit"):
            self._form["buttons"].append((name, a.get("value", "")))
        elif tag == "input" and kind in ("checkbox", "radio"):
            if "checked" in a:
                self._form["fields"][name] = a.get("value", "on")
        elif tag == "input" and kind != "file":
            self._form["fields"][name] = a.get("value", "")
            self._form["inputs"][name] = a
        elif tag == "select":
            self._select = name
            self._form["fields"].setdefault(name, None)
        elif tag == "textarea":
            self._textarea = name
            self._form["fields"][name] = ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data


class _Options(HTMLParser):
    """The selected (else first) option of each select; kept apart to keep FormParser simple."""

    def __init__(self):
        super().__init__()
        self.chosen, self._name = {}, None

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        if tag == "select":
            self._name = a.get("name")
        elif tag == "option" and self._name and (self._name not in self.chosen or "selected" in a):
            self.chosen[self._name] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._name = None


def parse(html):
    forms, options = FormParser(), _Options()
    forms.feed(html)
    options.feed(html)
    for form in forms.forms:
        for name, value in form["fields"].items():
            if value is None:
                form["fields"][name] = options.chosen.get(name, "")
    return forms


class Browser:
    """One user's cookie jar over http.client (a new connection per request, as gunicorn's sync workers close)."""

    def __init__(self, port, stats):
        self.host, self.port, self.stats = "127.0.0.1", port, stats
        self.cookies = {}

    def request(self, action, method, path, *, body=b"", headers=None, expect=(200,)):
        headers = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST" and "Origin" not in headers:
            headers["Origin"] = f"http://{self.host}:{self.port}"
        started = time.perf_counter()
        status, data, response_headers = 0, b"", {}
        try:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            status, data = response.status, response.read()
            response_headers = response.headers
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            connection.close()
        except (OSError, http.client.HTTPException) as error:
            data = repr(error).encode()
        ok = status in expect
        self.stats.record(action, time.perf_counter() - started, status, ok, data, method, path)
        return ok, status, data.decode("utf-8", "replace"), response_headers

    def post_form(self, action, path, fields, expect=(302,)):
        body = urlencode(fields).encode()
        return self.request(action, "POST", path, body=body, expect=expect, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://{self.host}:{self.port}{path}",
        })

    def sign_in(self, email, password):
        ok, _status, html, _headers = self.request("login: form", "GET", "/accounts/login/")
        if not ok:
            return False
        form = next(f for f in parse(html).forms if "password" in f["fields"])
        fields = {**form["fields"], "login": email, "password": password}
        ok, *_rest = self.post_form("login: submit", "/accounts/login/", fields)
        return ok and "sessionid" in self.cookies


def think(rng, mean):
    time.sleep(rng.uniform(0, 2 * mean) if mean else 0)


def entrant(browser, rng, account, deadline, shared, think_mean):
    """Edits the basics step of the entry (a new logline each time) and every third round uploads a video by tus."""
    entry, number, slot = account["entry"], 0, 0
    step = f"/entries/{entry}/edit/basics/"
    while time.monotonic() < deadline:
        number += 1
        ok, _status, html, _headers = browser.request("entrant: edit form", "GET", step)
        if ok:
            form = next((f for f in parse(html).forms if "logline" in f["fields"]), None)
            if form is None:
                browser.stats.fail("entrant: no edit form", 200, html.encode(), "GET", step)
            else:
                logline = f"第 {number} 次修改 / edit {number} by {account['email']}"
                ok, *_rest = browser.post_form("entrant: save", step, {**form["fields"], "logline": logline})
                if ok:
                    shared["entries"][entry] = logline
        think(rng, think_mean)
        if number % 3 == 1 and time.monotonic() < deadline:
            slot += 1
            upload(browser, account, f"episode-{slot}", shared)
            browser.request("entrant: video status", "GET", f"/entries/{entry}/videos/status/")
            think(rng, think_mean)


def upload(browser, account, slot, shared):
    """tus 1.0.0: creation, then the file in three PATCH requests; a finished upload is noted for the checks."""
    video = shared["video"]
    size, chunk = len(video["bytes"]), -(-len(video["bytes"]) // 3)
    csrf = browser.cookies.get("csrftoken", "")
    common = {"Tus-Resumable": "1.0.0", "X-CSRFToken": csrf}
    metadata = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in
                        {"entry": str(account["entry"]), "slot": slot, "filename": f"{slot}.mp4"}.items())
    ok, _status, _body, headers = browser.request("tus: create", "POST", "/uploads/tus/", expect=(201,), headers={
        **common, "Upload-Length": str(size), "Upload-Metadata": metadata})
    if not ok:
        return
    path = urlsplit(headers["Location"]).path
    offset = 0
    while offset < size:
        part = video["bytes"][offset:offset + chunk]
        ok, _status, _body, headers = browser.request("tus: patch", "PATCH", path, body=part, expect=(204,), headers={
            **common, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
        if not ok:
            return
        offset = int(headers["Upload-Offset"])
    with shared["lock"]:
        shared["uploads"].append({"upload": path.rsplit("/", 1)[-1], "entry": account["entry"], "slot": slot,
                                  "size": size, "sha256": video["sha256"]})


ENTRY_LINK = re.compile(r"^/judging/r/(\d+)/e/(\d+)/$")


def judge(browser, rng, account, deadline, shared, think_mean):
    """Opens the queue, an entry, and saves a draft or submits (random values on the step, a new comment)."""
    queue, number = f"/judging/r/{shared['round']}/", 0
    while time.monotonic() < deadline:
        ok, _status, html, _headers = browser.request("judge: queue", "GET", queue)
        entries = sorted({href for href in parse(html).links if ENTRY_LINK.match(href)}) if ok else []
        if not entries:
            think(rng, think_mean)
            continue
        page = rng.choice(entries)
        think(rng, think_mean)
        ok, _status, html, _headers = browser.request("judge: entry page", "GET", page)
        if not ok:
            continue
        form = next((f for f in parse(html).forms if f["action"].startswith(page) and "version" in f["fields"]), None)
        if form is None:  # a page without the score form is an error too
            browser.stats.fail("judge: no score form", 200, html.encode(), "GET", page)
            continue
        number += 1
        fields = dict(form["fields"])
        for name, attrs in form["inputs"].items():
            if name.endswith("_value"):
                low, high, step = (float(attrs.get(key) or default) for key, default in
                                   (("min", 0), ("max", 10), ("step", 0.5)))
                fields[name] = f"{low + step * rng.randint(0, int((high - low) / step)):g}"
        for name in fields:
            if name.endswith("_comment"):
                fields[name] = "节奏明快 / brisk pacing"
        fields["comment"] = f"第 {number} 次评分 / save {number} by {account['email']}"
        action = rng.choice(["draft", "submit", "submit"])
        think(rng, think_mean)
        ok, *_rest = browser.post_form(f"judge: {action}", page, {**fields, "action": action})
        if ok:
            entry_id = int(ENTRY_LINK.match(page).group(2))
            with shared["lock"]:
                saved = shared["scores"].setdefault((entry_id, account["id"]), {"count": 0})
                saved.update(count=saved["count"] + 1, status="submitted" if action == "submit" else "draft",
                             comment=fields["comment"])
        think(rng, think_mean)


WORK_LINK = re.compile(r"^/c/[\w-]+/works/[\w-]+/$")


def reader(browser, rng, account, deadline, shared, think_mean):
    """The public: results, winners and two work pages reached from the results page."""
    base = f"/c/{shared['slug']}/"
    while time.monotonic() < deadline:
        ok, _status, html, _headers = browser.request("public: results", "GET", base + "results/")
        works = sorted({href for href in parse(html).links if WORK_LINK.match(href)}) if ok else []
        think(rng, think_mean)
        browser.request("public: winners", "GET", base + "winners/")
        for work in rng.sample(works, min(2, len(works))):
            think(rng, think_mean)
            browser.request("public: work page", "GET", work)
        think(rng, think_mean)
