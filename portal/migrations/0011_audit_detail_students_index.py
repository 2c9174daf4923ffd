"""A list read is one audit event naming its students in detail.students; the leader's access log finds
a student there with JSON containment, which a GIN index serves (PostgreSQL only: the demo's SQLite scans)."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS audit_detail_students ON portal_auditevent "
    "USING gin ((detail -> 'students') jsonb_path_ops)"
)
DROP = "DROP INDEX IF EXISTS audit_detail_students"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("portal", "0010_responder_role")]

    operations = [migrations.RunPython(forwards, backwards)]
