"""Replace Wagtail's placeholder root page with the portal's home page, as the default site's root."""

from django.db import migrations


def create_home_page(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("portal.HomePage")
    Locale = apps.get_model("wagtailcore.Locale")

    Page.objects.filter(depth=2, content_type__model="page").delete()
    home_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="portal")
    locale = Locale.objects.first() or Locale.objects.create(language_code="en")
    home = HomePage.objects.create(
        title="Coastal Credit Union", draft_title="Coastal Credit Union", slug="home",
        content_type=home_type, path="00010001", depth=2, numchild=0, url_path="/home/", locale=locale,
        hero_title="Banking that stays close to home",
        hero_text="<p>Save daily with Susu, grow your shares and borrow fairly. Check balances, "
                  "move money and apply for loans any time.</p>",
    )
    Site.objects.filter(is_default_site=True).delete()
    Site.objects.create(hostname="localhost", root_page=home, is_default_site=True, site_name="Coastal")


def remove_home_page(apps, schema_editor):
    apps.get_model("portal.HomePage").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("wagtailcore", "0002_initial_data"),
    ]

    operations = [migrations.RunPython(create_home_page, remove_home_page)]
