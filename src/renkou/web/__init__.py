"""The web application: FastAPI with server-rendered pages (Jinja2, HTMX), a thin shell over the
services — which check role and area themselves (renkou.auth.officer).

* ``app`` — the factory only: ``create_app`` builds the application, its middleware, the refusal
  handlers and the routers, each included once;
* ``deps`` — who is asking: ``User``, ``require(Permission...)``, ``CurrentUser``, ``Id``, ``officer``;
* ``render`` — the one way a page is rendered: ``render``, ``message``, ``denied``;
* ``security`` — sessions, CSRF, security headers, trusted proxies, the sign-in throttle;
* ``uploads`` — request bodies bounded and signed in before they are read: ``UploadGuard``;
* ``i18n`` — the gettext catalogues (locale/), Chinese first;
* ``timefmt`` — stored UTC times shown in the configured time zone: ``local``, ``text``, the ``localtime`` filter;
* ``account`` — sign-in, sign-out, the language switch, changing one's password, the second factor;
* ``api`` — ``/api/v1``, JSON over the same services;
* ``dashboard`` — the home page of each role;
* ``reports`` — reports and ledgers with their downloads;
* ``pickers`` — what the period and unit pickers (templates/pickers.html) need: ``period_view``, ``unit_keys``, ``unit_choices``;
* ``indicators`` — indicators chosen from the catalogue, by unit, with a chart and downloads;
* ``paging`` — long lists a page at a time: ``Page``, ``asked`` (with the macro templates/paging.html);
* ``work`` — the account's work queues on the home page, and the list of births without an ID number;
* ``registry``, ``imports``, ``admin``, ``benefits`` — the sections, each a package of pages.
"""
