"""The institution's name, contacts, logo and statement footer, from its one Wagtail site setting
(`InstitutionSettings`, edited at /cms/ → Settings → Institution).

`institution(request)` for pages (read once per request), `institution()` without a request for
PDFs, e-mails and background jobs. The `console_*` functions are unfold's SITE_TITLE, SITE_HEADER
and SITE_ICON (coastal_site/settings/unfold.py); `institution_context` is a template context processor.
"""

from django.utils.functional import SimpleLazyObject

_CACHE_ATTR = "_coastal_institution"
_last_read = None


def institution(request=None):
    """The default site's `InstitutionSettings`, or an unsaved one with the defaults when there is
    no default site (a bare database). With a request, read once and kept on the request."""
    global _last_read
    if request is not None and hasattr(request, _CACHE_ATTR):
        return getattr(request, _CACHE_ATTR)
    from wagtail.models import Site

    from .models import InstitutionSettings

    site = Site.objects.filter(is_default_site=True).first()
    found = InstitutionSettings.for_site(site) if site is not None else InstitutionSettings()
    if request is not None:
        setattr(request, _CACHE_ATTR, found)
    _last_read = found
    return found


def last_read():
    """The settings this process read last, or None: for the server-error page, which must not touch
    the database."""
    return _last_read


def institution_context(request) -> dict:
    """`{{ institution.name }}` and the like in every template rendered with a request (read only when used)."""
    return {"institution": SimpleLazyObject(lambda: institution(request))}


def console_title(request) -> str:
    return institution(request).short_name


def console_header(request) -> str:
    return f"{institution(request).short_name} back office"


def console_icon(request) -> str | None:
    return institution(request).logo_url or None
