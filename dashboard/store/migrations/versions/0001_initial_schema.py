"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 19:50:56.792524
"""

from alembic import op
import sqlalchemy as sa
import dashboard.store.models


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('starts_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('issued_by', sa.String(length=96), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("level IN ('blue', 'yellow', 'orange', 'red')", name=op.f('ck_alerts_level')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    op.create_table('app_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_settings'))
    )
    op.create_table('checklist_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=96), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=256), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_versions')),
    sa.UniqueConstraint('code', name=op.f('uq_checklist_versions_code'))
    )
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('held_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('location', sa.String(length=128), nullable=False),
    sa.Column('chair_title', sa.String(length=64), nullable=False),
    sa.Column('attendees', sa.JSON(), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('minutes_md', sa.Text(), nullable=False),
    sa.Column('air_quality', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    sa.UniqueConstraint('number', name=op.f('uq_meetings_number'))
    )
    op.create_table('stations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('city', sa.String(length=32), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('is_background', sa.Boolean(), nullable=False),
    sa.Column('in_district', sa.Boolean(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stations')),
    sa.UniqueConstraint('code', name=op.f('uq_stations_code'))
    )
    op.create_table('townships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=96), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_townships')),
    sa.UniqueConstraint('code', name=op.f('uq_townships_code')),
    sa.UniqueConstraint('name', name=op.f('uq_townships_name'))
    )
    op.create_table('checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('label', sa.String(length=128), nullable=False),
    sa.Column('label_en', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['checklist_versions.id'], name=op.f('fk_checklist_items_version_id_checklist_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_items')),
    sa.UniqueConstraint('version_id', 'key', name=op.f('uq_checklist_items_version_id'))
    )
    op.create_table('meeting_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_decisions_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_decisions'))
    )
    with op.batch_alter_table('meeting_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_decisions_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('readings',
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('pollutant', sa.String(length=8), nullable=False),
    sa.Column('time', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('validated', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_readings_station_id_stations')),
    sa.PrimaryKeyConstraint('station_id', 'pollutant', 'time', name=op.f('pk_readings'))
    )
    with op.batch_alter_table('readings', schema=None) as batch_op:
        batch_op.create_index('ix_readings_time', ['time'], unique=False)

    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('address', sa.String(length=256), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('builder_unit', sa.String(length=128), nullable=False),
    sa.Column('contractor_unit', sa.String(length=128), nullable=False),
    sa.Column('site_type', sa.String(length=32), nullable=False),
    sa.Column('area_m2', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('coord_system', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('plate', sa.String(length=8), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("plate IN ('green', 'yellow', 'red')", name=op.f('ck_sites_plate')),
    sa.CheckConstraint("status IN ('active', 'suspended', 'completed')", name=op.f('ck_sites_status')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_sites_township_id_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('code', name=op.f('uq_sites_code'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_township_id'), ['township_id'], unique=False)

    op.create_table('station_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('city', sa.String(length=32), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('is_background', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_station_versions_station_id_stations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station_versions')),
    sa.UniqueConstraint('station_id', 'valid_from', name=op.f('uq_station_versions_station_id'))
    )
    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=96), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_units_township_id_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('name', name=op.f('uq_units_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=96), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('last_login_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('viewer', 'inspector', 'editor', 'admin')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_users_township_id_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('accountability_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.CheckConstraint("measure IN ('criticism', 'interview', 'admonition', 'accountability')", name=op.f('ck_accountability_records_measure')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_accountability_records_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_accountability_records_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accountability_records'))
    )
    with op.batch_alter_table('accountability_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accountability_records_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('action_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('task', sa.Text(), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('responsible_unit_id', sa.Integer(), nullable=False),
    sa.Column('lead_department_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('done_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'in_progress', 'done', 'verified')", name=op.f('ck_action_items_status')),
    sa.ForeignKeyConstraint(['lead_department_id'], ['units.id'], name=op.f('fk_action_items_lead_department_id_units')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_action_items_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['responsible_unit_id'], ['units.id'], name=op.f('fk_action_items_responsible_unit_id_units')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_action_items_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_items')),
    sa.UniqueConstraint('meeting_id', 'seq', name=op.f('uq_action_items_meeting_id'))
    )
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_items_responsible_unit_id'), ['responsible_unit_id'], unique=False)
        batch_op.create_index('ix_action_items_status_deadline', ['status', 'deadline'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('checklist_version_id', sa.Integer(), nullable=False),
    sa.Column('inspected_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=True),
    sa.Column('inspector_name', sa.String(length=96), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('working_during_stop', sa.Boolean(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f('ck_inspections_status')),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_inspections_alert_id_alerts')),
    sa.ForeignKeyConstraint(['checklist_version_id'], ['checklist_versions.id'], name=op.f('fk_inspections_checklist_version_id_checklist_versions')),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_inspections_inspector_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_inspections_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index('ix_inspections_site_time', ['site_id', 'inspected_at'], unique=False)

    op.create_table('meeting_problems',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('item_key', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_problems_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_meeting_problems_site_id_sites')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_meeting_problems_township_id_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_problems'))
    )
    with op.batch_alter_table('meeting_problems', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_problems_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('plate_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=8), nullable=False),
    sa.Column('changed_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=256), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_plate_changes_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plate_changes'))
    )
    with op.batch_alter_table('plate_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plate_changes_site_id'), ['site_id'], unique=False)

    op.create_table('action_item_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_item_id', sa.Integer(), nullable=False),
    sa.Column('at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['action_item_id'], ['action_items.id'], name=op.f('fk_action_item_changes_action_item_id_action_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_action_item_changes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_item_changes'))
    )
    with op.batch_alter_table('action_item_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_item_changes_action_item_id'), ['action_item_id'], unique=False)

    op.create_table('inspection_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.CheckConstraint("result IN ('pass', 'fail', 'na')", name=op.f('ck_inspection_results_result')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_results_inspection_id_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_items.id'], name=op.f('fk_inspection_results_item_id_checklist_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_results')),
    sa.UniqueConstraint('inspection_id', 'item_id', name=op.f('uq_inspection_results_inspection_id'))
    )
    with op.batch_alter_table('inspection_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_results_item_id'), ['item_id'], unique=False)

    op.create_table('rectifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=32), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('responsible_unit', sa.String(length=256), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.SmallInteger(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', dashboard.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_rectifications_status')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['inspection_results.id'], name=op.f('fk_rectifications_closed_by_id_inspection_results')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['inspection_results.id'], name=op.f('fk_rectifications_opened_by_id_inspection_results')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_rectifications_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectifications'))
    )
    with op.batch_alter_table('rectifications', schema=None) as batch_op:
        batch_op.create_index('ix_rectifications_site_status', ['site_id', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rectifications', schema=None) as batch_op:
        batch_op.drop_index('ix_rectifications_site_status')

    op.drop_table('rectifications')
    with op.batch_alter_table('inspection_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_results_item_id'))

    op.drop_table('inspection_results')
    with op.batch_alter_table('action_item_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_item_changes_action_item_id'))

    op.drop_table('action_item_changes')
    with op.batch_alter_table('plate_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plate_changes_site_id'))

    op.drop_table('plate_changes')
    with op.batch_alter_table('meeting_problems', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_problems_meeting_id'))

    op.drop_table('meeting_problems')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_inspections_site_time')

    op.drop_table('inspections')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_index('ix_action_items_status_deadline')
        batch_op.drop_index(batch_op.f('ix_action_items_responsible_unit_id'))

    op.drop_table('action_items')
    with op.batch_alter_table('accountability_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accountability_records_meeting_id'))

    op.drop_table('accountability_records')
    op.drop_table('users')
    op.drop_table('units')
    op.drop_table('station_versions')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_township_id'))

    op.drop_table('sites')
    with op.batch_alter_table('readings', schema=None) as batch_op:
        batch_op.drop_index('ix_readings_time')

    op.drop_table('readings')
    with op.batch_alter_table('meeting_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_decisions_meeting_id'))

    op.drop_table('meeting_decisions')
    op.drop_table('checklist_items')
    op.drop_table('townships')
    op.drop_table('stations')
    op.drop_table('meetings')
    op.drop_table('checklist_versions')
    op.drop_table('app_settings')
    op.drop_table('alerts')
