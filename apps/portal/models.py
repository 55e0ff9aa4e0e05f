"""Public pages of the member portal, edited by staff in Wagtail (/cms/)."""

from django.db import models
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
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


@register_setting(icon="site")
class CreditUnionSettings(BaseSiteSetting):
    """The institution's own details: shown in the portal footer, on receipts and statements."""

    name = models.CharField(max_length=120, default="Coastal Credit Union")
    address = models.TextField(blank=True, default="Harbour Road, Cape Coast, Ghana")
    phone = models.CharField(max_length=40, blank=True, default="+233 30 000 0000")
    email = models.EmailField(blank=True, default="hello@coastal.example")

    panels = [FieldPanel("name"), FieldPanel("address"), FieldPanel("phone"), FieldPanel("email")]
