
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_business_day_close_overrides'),
        ('wagtailcore', '0098_apitoken'),
        ('wagtailimages', '0027_image_description'),
    ]

    operations = [
        migrations.CreateModel(
            name='InstitutionSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(default='Coastal Credit Union', help_text='The full name, as on statements, receipts and the portal.', max_length=120)),
                ('short_name', models.CharField(default='Coastal', help_text='Where space is short: the console header, text messages, the authenticator app.', max_length=40)),
                ('address', models.TextField(blank=True, default='Harbour Road, Cape Coast, Ghana')),
                ('phone', models.CharField(blank=True, default='+233 30 000 0000', max_length=40)),
                ('email', models.EmailField(blank=True, default='hello@coastal.example', max_length=254)),
                ('website', models.URLField(blank=True, default='')),
                ('registration_number', models.CharField(blank=True, default='', help_text="Printed as typed on statements and in the portal footer, e.g. 'Licensed by the Bank of Ghana, CU/0123'.", max_length=80, verbose_name='registration or licence number')),
                ('statement_footer', models.TextField(blank=True, default='Please report any error within 30 days.', help_text='Printed at the foot of every statement page.')),
                ('logo', models.ForeignKey(blank=True, help_text='Shown in the console, the portal and on statements.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='wagtailimages.image')),
                ('site', models.OneToOneField(editable=False, on_delete=django.db.models.deletion.CASCADE, to='wagtailcore.site')),
            ],
            options={
                'verbose_name': 'institution',
            },
        ),
    ]
