"""Public pages of the member portal, edited by staff in Wagtail (/cms/)."""

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import (
    AbstractGroupApprovalTask,
    DraftStateMixin,
    LockableMixin,
    Page,
    PreviewableMixin,
    RevisionMixin,
    WorkflowMixin,
)


class ContentBlocks(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title", icon="title")
    paragraph = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"])
    callout = blocks.StructBlock(
        [("title", blocks.CharBlock()), ("text", blocks.TextBlock())], icon="warning",
    )


class HomePage(Page):
    hero_title = models.CharField(max_length=120, default="Banking that stays close to home")
    hero_text = RichTextField(blank=True, features=["bold", "italic", "link"])
    body = StreamField(ContentBlocks(), blank=True, use_json_field=True)

    content_panels = Page.content_panels + [FieldPanel("hero_title"), FieldPanel("hero_text"), FieldPanel("body")]
    subpage_types = ["portal.ContentPage"]
    max_count = 1


class ContentPage(Page):
    """Notices, FAQs, branch information: any public page staff want to publish."""

    summary = models.CharField(max_length=255, blank=True)
    body = StreamField(ContentBlocks(), blank=True, use_json_field=True)

    content_panels = Page.content_panels + [FieldPanel("summary"), FieldPanel("body")]
    parent_page_types = ["portal.HomePage", "portal.ContentPage"]



class SecondPersonApprovalTask(AbstractGroupApprovalTask):
    """Wagtail's group approval, except that nobody approves what they submitted themselves: an
    editor submits, a second editor (or a manager) publishes. Wagtail's own GroupApprovalTask lets
    any member of the groups approve, the person who asked included."""

    @staticmethod
    def _wrote_it(obj, user) -> bool:
        """Whether `user` submitted `obj` for approval or wrote its latest revision (an edit made
        while it waits is theirs to have approved by someone else too)."""
        state = getattr(obj, "current_workflow_state", None)
        if state is not None and state.requested_by_id == user.pk:
            return True
        latest = obj.get_latest_revision() if hasattr(obj, "get_latest_revision") else None
        return latest is not None and latest.user_id == user.pk

    def get_actions(self, obj, user):
        if user.pk is not None and self._wrote_it(obj, user):
            return []
        return super().get_actions(obj, user)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        return super().get_task_states_user_can_moderate(user, **kwargs).exclude(
            workflow_state__requested_by=user)

    @classmethod
    def get_description(cls):
        return "Members of the chosen groups approve, but never the person who submitted"

    class Meta:
        verbose_name = "second person approval"
        verbose_name_plural = "second person approvals"


class PortalNotice(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, PreviewableMixin, models.Model):
    """A banner across the portal's pages: drafted, previewed, approved by a second person and
    published in Wagtail (/cms/), shown to its audience between `show_from` and `show_until`.
    Scheduling (go-live and expiry) comes with DraftStateMixin; see apps/portal/notices.py."""

    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Everyone"
        MEMBERS = "members", "Members (signed in)"
        STAFF = "staff", "Staff"

    class Level(models.TextChoices):
        INFO = "info", "Information"
        WARNING = "warning", "Warning"

    title = models.CharField(max_length=120)
    body = models.TextField(max_length=600, help_text="A sentence or two, in plain words.")
    link = models.URLField(blank=True, help_text="Optional: a page with more detail.")
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.INFO)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.EVERYONE)
    show_from = models.DateTimeField(null=True, blank=True, help_text="Empty: as soon as it is published.")
    show_until = models.DateTimeField(null=True, blank=True, help_text="Empty: until it is unpublished.")

    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="portalnotice")
    workflow_states = GenericRelation("wagtailcore.WorkflowState", content_type_field="base_content_type",
                                      object_id_field="object_id", related_query_name="portalnotice",
                                      for_concrete_model=False)

    panels = [FieldPanel("title"), FieldPanel("body"), FieldPanel("link"), FieldPanel("level"),
              FieldPanel("audience"), FieldPanel("show_from"), FieldPanel("show_until")]

    class Meta:
        ordering = ["-show_from", "-pk"]
        verbose_name = "portal notice"

    def __str__(self):
        return self.title

    @property
    def revisions(self):
        return self._revisions

    def clean(self):
        super().clean()
        if self.show_from and self.show_until and self.show_until <= self.show_from:
            raise ValidationError({"show_until": "The notice must stop showing after it starts showing."})

    def get_preview_template(self, request, mode_name):
        return "portal/notice_preview.html"

    def get_preview_context(self, request, mode_name):
        return {**super().get_preview_context(request, mode_name), "preview_notices": [self]}
