"""The browser side the hub serves: the dashboard at ``/`` (off with ``--no-dashboard``) and the
stream client as one ES module at its stable path, without a token and from the package."""

from __future__ import annotations

from hub_client import check_problem, running, settings

from server.web.dashboard import CLIENT_PATH, STATIC


async def test_the_dashboard_and_the_client_module_are_served() -> None:
    async with running(settings()) as server:
        page = await server.client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-cache"
        assert 'src="static/dashboard/dashboard.js"' in page.text
        # an icon of its own: a browser asks for no /favicon.ico (a 404, a console error)
        assert '<link rel="icon" href="data:,">' in page.text
        for asset, media_type in [
            ("/static/dashboard/dashboard.js", "text/javascript"),
            ("/static/dashboard/dashboard.css", "text/css"),
            (CLIENT_PATH, "text/javascript"),
        ]:
            response = await server.client.get(asset)
            assert response.status_code == 200, asset
            assert response.headers["content-type"].startswith(media_type)
        client = await server.client.get(CLIENT_PATH)
        assert client.content == (STATIC / "sluice-client.js").read_bytes()
        check_problem(await server.client.get("/static/dashboard/missing.js"), 404)
        check_problem(await server.client.get("/static/dashboard/../../settings.py"), 404)


async def test_no_dashboard_turns_the_page_off_and_keeps_the_client() -> None:
    async with running(settings(dashboard=False)) as server:
        problem = check_problem(await server.client.get("/"), 404)
        assert "--no-dashboard" in problem["detail"]
        check_problem(await server.client.get("/static/dashboard/dashboard.js"), 404)
        assert (await server.client.get(CLIENT_PATH)).status_code == 200
