"""Locust users for ``bench/load.py``: each logs in as its own account (ministry, province officer or
centre user), waits until every user is in, then browses its role's list pages (HTML) and dashboard
data (JSON) with a think time between requests. Every answer must be a 200 of the expected type (no
redirect, no log-in page); the run stops after ``--requests`` measured requests or ``--run-time``.

The plan (host, accounts, paths) is written by ``bench/load.py`` to the file in ``LOAD_PLAN``; the
raw samples go to ``LOAD_SAMPLES`` when locust quits. Run it through ``bench/load.py``, which seeds
the database and starts gunicorn first.
"""

import json
import os
import random
import re
import time

import gevent
from gevent.event import Event
from locust import FastHttpUser, between, events, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
UNIT = re.compile(r"/dashboard/unit/\d+/\w+/")

state = {"next_account": 0, "logged_in": 0, "samples": [], "started": None, "ended": None, "quitting": False}
all_logged_in = Event()


@events.init_command_line_parser.add_listener
def _(parser):
    parser.add_argument("--requests", type=int, default=2000, help="measured requests in all, then stop")
    parser.add_argument("--think", default="0.5-1.5", help="seconds between a user's requests: MIN-MAX")


@events.request.add_listener
def record(request_type, name, response_time, response_length, exception, context, **kwargs):
    if not name.startswith(("html ", "data ")) or state["quitting"]:
        return
    state["samples"].append(
        [name.split(" ", 1)[0], name.split(" ", 1)[1], response_time, exception and str(exception)]
    )
    if len(state["samples"]) >= context["target"]:
        state["quitting"] = True
        state["ended"] = time.time()
        gevent.spawn(context["runner"].quit)


@events.quitting.add_listener
def write_samples(environment, **kwargs):
    state["ended"] = state["ended"] or time.time()
    with open(os.environ["LOAD_SAMPLES"], "w", encoding="utf-8") as out:
        json.dump(
            {
                "samples": state["samples"],
                "started": state["started"],
                "ended": state["ended"],
                "logged_in": state["logged_in"],
            },
            out,
        )


def _think(user):
    low, _, high = user.environment.parsed_options.think.partition("-")
    return between(float(low), float(high or low))(user)


class PortalUser(FastHttpUser):
    host = PLAN["host"]
    wait_time = _think
    connection_timeout = 60.0
    network_timeout = 60.0

    def context(self):
        return {"target": self.environment.parsed_options.requests, "runner": self.environment.runner}

    def on_start(self):
        accounts = PLAN["accounts"]
        self.account = accounts[state["next_account"] % len(accounts)]
        state["next_account"] += 1
        self.paths = PLAN["paths"][self.account["username"]]
        page = self.client.get("/accounts/login/", name="login form")
        token = CSRF.search(page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.account["username"],
                "password": self.account["password"],
                "csrfmiddlewaretoken": token,
            },
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"log-in of {self.account['username']} answered {response.status_code}")
        state["logged_in"] += 1
        if state["logged_in"] >= self.environment.runner.target_user_count:
            state["started"] = time.time()
            all_logged_in.set()
        all_logged_in.wait(timeout=300)

    def fetch(self, group, path, kind):
        label = UNIT.sub("/dashboard/unit/<generation>/<code>/", path.split("?", 1)[0])
        if "?q=" in path:
            label += "?q=…"
        with self.client.get(
            path,
            name=f"{group} {label}",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            content_type = response.headers.get("Content-Type", "") if response.headers else ""
            if response.status_code != 200:
                response.failure(f"{path} answered {response.status_code}")
            elif kind not in content_type:
                response.failure(f"{path} answered {content_type}, not {kind}")

    @task(3)
    def html_page(self):
        self.fetch("html", random.choice(self.paths["html"]), "text/html")

    @task(2)
    def dashboard_data(self):
        self.fetch("data", random.choice(self.paths["data"]), "application/json")
