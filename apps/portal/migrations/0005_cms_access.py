"""Who may do what in Wagtail (/cms/), the second-person approval workflow, and the schedule that
publishes and expires scheduled pages and notices.

Wagtail's page and collection permissions live in their own tables (GroupPagePermission,
GroupCollectionPermission), not in a group's model permissions, so the role groups' sync
(apps/core/roles.py) cannot give them: without these rows even the administrator was refused the
page tree. Content editors add and change pages but do not publish them directly: they submit, and
the "Second person approval" workflow (content editors and managers, never the person who
submitted) publishes. Managers and operations managers publish and approve; administrators manage
(publish, delete, unlock).
"""

from django.db import migrations
from django.utils import timezone

EDITORS, MANAGERS, OPS, ADMINS = "Content editors", "Managers", "Operations managers", "Administrators"

PAGE_PERMISSIONS = {
    EDITORS: ("add_page", "change_page", "lock_page"),
    MANAGERS: ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
    OPS: ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
    ADMINS: ("add_page", "change_page", "publish_page", "bulk_delete_page", "lock_page", "unlock_page"),
}
COLLECTION_PERMISSIONS = (("wagtailimages", "image", ("add", "change", "choose")),
                          ("wagtaildocs", "document", ("add", "change", "choose")))
WORKFLOW = "Second person approval"
SCHEDULE = "Publish scheduled pages and notices"


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    groups = {name: Group.objects.get_or_create(name=name)[0] for name in PAGE_PERMISSIONS}
    page_ct = ContentType.objects.get_or_create(app_label="wagtailcore", model="page")[0]

    def permission(ct, codename, label):
        return Permission.objects.get_or_create(content_type=ct, codename=codename,
                                                defaults={"name": f"Can {label}"})[0]

    root = Page.objects.filter(depth=1).first()
    if root is not None:
        for name, codenames in PAGE_PERMISSIONS.items():
            for codename in codenames:
                GroupPagePermission.objects.get_or_create(
                    group=groups[name], page=root,
                    permission=permission(page_ct, codename, codename.replace("_", " ")))
    collection = Collection.objects.filter(depth=1).first()
    if collection is not None:
        for app_label, model, actions in COLLECTION_PERMISSIONS:
            ct = ContentType.objects.get_or_create(app_label=app_label, model=model)[0]
            for name, group in groups.items():
                for action in actions:
                    GroupCollectionPermission.objects.get_or_create(
                        group=group, collection=collection,
                        permission=permission(ct, f"{action}_{model}", f"{action} {model}"))

    # The workflow: one task, approved by content editors or managers other than the submitter.
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")
    Task = apps.get_model("portal", "SecondPersonApprovalTask")
    task_ct = ContentType.objects.get_or_create(app_label="portal", model="secondpersonapprovaltask")[0]
    task = Task.objects.filter(name=WORKFLOW).first()
    if task is None:
        task = Task.objects.create(name=WORKFLOW, content_type=task_ct, active=True)
    task.groups.set([groups[EDITORS], groups[MANAGERS], groups[OPS]])
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    if root is not None:
        WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
    notice_ct = ContentType.objects.get_or_create(app_label="portal", model="portalnotice")[0]
    WorkflowContentType.objects.update_or_create(content_type=notice_ct, defaults={"workflow": workflow})

    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(name=SCHEDULE, defaults={
        "func": "apps.portal.notices.publish_scheduled", "schedule_type": "I", "minutes": 5,
        "next_run": timezone.now(), "repeats": -1})


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE).delete()
    apps.get_model("wagtailcore", "WorkflowContentType").objects.filter(workflow__name=WORKFLOW).delete()
    apps.get_model("wagtailcore", "WorkflowPage").objects.filter(workflow__name=WORKFLOW).delete()
    apps.get_model("wagtailcore", "Workflow").objects.filter(name=WORKFLOW).delete()
    apps.get_model("portal", "SecondPersonApprovalTask").objects.filter(name=WORKFLOW).delete()
    apps.get_model("wagtailcore", "GroupPagePermission").objects.filter(group__name__in=PAGE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_portal_notice"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create, remove)]
