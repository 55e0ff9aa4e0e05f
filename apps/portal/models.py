"""Public pages of the member portal, edited by staff in Wagtail (/cms/)."""

from django.db import models
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page


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

