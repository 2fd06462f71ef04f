"""campaigns and catalogue: content categories and indicators (seeded), campaigns, targets

The catalogue is seeded here with stable codes: the six contents of the National Digital
Transformation Day peak of October 2024 first, then the other contents teams guide people
in, and the indicators they count. Ids are derived from the codes (uuid5), so they are
the same on every installation.

Revision ID: 8b82a555c0ce
Revises: 7c1e0a4d2b91
Create Date: 2026-11-29 07:54:17.173213
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

from cnscd_api.models.base import UTCDateTime

revision: str = "8b82a555c0ce"
down_revision: str | None = "7c1e0a4d2b91"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


NAMESPACE = uuid.UUID("6f1c3a7e-5b2d-4c8e-9a41-0d7e2b6c9f10")

# code, Vietnamese name, English name
CATEGORIES = [
    (
        "online_public_services",
        "Hướng dẫn sử dụng dịch vụ công trực tuyến",
        "Using online public services",
    ),
    ("cashless_payment", "Thanh toán không dùng tiền mặt", "Cashless payment"),
    (
        "vietnamese_ecommerce",
        "Mua bán trên các sàn thương mại điện tử Việt Nam",
        "Buying and selling on Vietnamese e-commerce platforms",
    ),
    (
        "online_safety",
        "Bảo vệ bản thân và gia đình trên môi trường mạng",
        "Protecting oneself and family online",
    ),
    (
        "information_search",
        "Tìm kiếm thông tin hiệu quả trên Internet",
        "Searching information effectively on the Internet",
    ),
    (
        "vneid",
        "Cài đặt VNeID và kích hoạt tài khoản định danh điện tử",
        "Installing VNeID and activating the e-identity account",
    ),
    (
        "business_ecommerce",
        "Đưa doanh nghiệp, hợp tác xã, hộ kinh doanh lên sàn thương mại điện tử",
        "E-commerce onboarding of businesses, cooperatives and household businesses",
    ),
    (
        "payment_accounts",
        "Mở tài khoản ngân hàng, tài khoản thanh toán và ví điện tử",
        "Opening bank or payment accounts and e-wallets",
    ),
    (
        "digital_sales",
        "Sử dụng nền tảng số để đăng tải, quảng bá và bán sản phẩm",
        "Using digital platforms to post, promote and sell products",
    ),
    (
        "digital_production",
        "Ứng dụng công nghệ số trong sản xuất, kinh doanh",
        "Digital technology in production and business",
    ),
    (
        "basic_digital_skills",
        "Kỹ năng số cơ bản (Bình dân học vụ số)",
        "Basic digital skills (the Bình dân học vụ số movement)",
    ),
]
ALL_CATEGORIES = [code for code, _, _ in CATEGORIES]
# code, Vietnamese name, English name, unit (vi), unit (en), categories
INDICATORS = [
    (
        "people_guided",
        "Số người dân được hướng dẫn",
        "People guided",
        "người",
        "people",
        ALL_CATEGORIES,
    ),
    (
        "households_visited",
        "Số hộ gia đình được đến tận nhà hướng dẫn",
        "Households visited",
        "hộ",
        "households",
        ALL_CATEGORIES,
    ),
    (
        "vneid_level2_activated",
        "Số tài khoản định danh điện tử mức 2 được kích hoạt",
        "VNeID accounts activated (level 2)",
        "tài khoản",
        "accounts",
        ["vneid"],
    ),
    (
        "payment_accounts_opened",
        "Số tài khoản ngân hàng, tài khoản thanh toán được mở",
        "Bank or payment accounts opened",
        "tài khoản",
        "accounts",
        ["cashless_payment", "payment_accounts"],
    ),
    (
        "ewallets_activated",
        "Số ví điện tử được kích hoạt",
        "E-wallets activated",
        "ví",
        "wallets",
        ["cashless_payment", "payment_accounts"],
    ),
    (
        "public_service_dossiers",
        "Số hồ sơ dịch vụ công trực tuyến được nộp",
        "Online public-service dossiers submitted",
        "hồ sơ",
        "dossiers",
        ["online_public_services"],
    ),
    (
        "ecommerce_listings",
        "Số gian hàng, sản phẩm được đưa lên sàn thương mại điện tử",
        "E-commerce shops or listings created",
        "gian hàng",
        "shops",
        ["vietnamese_ecommerce", "business_ecommerce", "digital_sales"],
    ),
    (
        "businesses_onboarded",
        "Số doanh nghiệp, hợp tác xã, hộ kinh doanh được hỗ trợ",
        "Businesses and cooperatives onboarded",
        "đơn vị",
        "businesses",
        ["business_ecommerce", "digital_production"],
    ),
    (
        "people_trained_basic_skills",
        "Số người được đào tạo kỹ năng số cơ bản",
        "People trained in basic digital skills",
        "người",
        "people",
        ["basic_digital_skills", "online_safety", "information_search"],
    ),
    (
        "people_certified_digital_skills",
        "Số người được cấp chứng nhận trên nền tảng học kỹ năng số quốc gia",
        "People certified on the national digital-skills platform",
        "người",
        "people",
        ["basic_digital_skills"],
    ),
]


def catalogue_id(kind: str, code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}:{code}")


def seed_catalogue() -> None:
    now = datetime.now(UTC)
    common = {"version": 1, "created_at": now, "updated_at": now, "retired": False}
    types = {
        "id": sa.Uuid(),
        "indicator_id": sa.Uuid(),
        "category_id": sa.Uuid(),
        "created_at": UTCDateTime(),
        "updated_at": UTCDateTime(),
        "position": sa.Integer(),
        "version": sa.Integer(),
        "retired": sa.Boolean(),
    }

    def table(name: str, *columns: str) -> sa.TableClause:
        return sa.table(name, *(sa.column(c, types.get(c, sa.String())) for c in columns))

    base = ("id", "code", "name_vi", "name_en", "position", "version", "created_at")
    category = table("content_category", *base, "updated_at", "retired", "description")
    indicator = table("indicator", *base, "updated_at", "retired", "unit_vi", "unit_en")
    link = table("indicator_category", "indicator_id", "category_id")
    op.bulk_insert(
        category,
        [
            {
                "id": catalogue_id("category", code),
                "code": code,
                "name_vi": vi,
                "name_en": en,
                "description": None,
                "position": position,
                **common,
            }
            for position, (code, vi, en) in enumerate(CATEGORIES, start=1)
        ],
    )
    op.bulk_insert(
        indicator,
        [
            {
                "id": catalogue_id("indicator", code),
                "code": code,
                "name_vi": vi,
                "name_en": en,
                "unit_vi": unit_vi,
                "unit_en": unit_en,
                "position": position,
                **common,
            }
            for position, (code, vi, en, unit_vi, unit_en, _) in enumerate(INDICATORS, start=1)
        ],
    )
    op.bulk_insert(
        link,
        [
            {
                "indicator_id": catalogue_id("indicator", code),
                "category_id": catalogue_id("category", category_code),
            }
            for code, _, _, _, _, categories in INDICATORS
            for category_code in categories
        ],
    )


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "content_category",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name_vi", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_category")),
        sa.UniqueConstraint("code", name=op.f("uq_content_category_code")),
    )
    op.create_table(
        "indicator",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name_vi", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("unit_vi", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("unit_en", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
        sa.UniqueConstraint("code", name=op.f("uq_indicator_code")),
    )
    op.create_table(
        "campaign",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("search_name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("scope_unit_id", sa.Uuid(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("reporting_until", sa.Date(), nullable=False),
        sa.Column("reopened_until", sa.Date(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_campaign_ends_after_start")),
        sa.CheckConstraint("grace_days >= 0", name=op.f("ck_campaign_grace_not_negative")),
        sa.ForeignKeyConstraint(
            ["scope_unit_id"],
            ["unit.id"],
            name=op.f("fk_campaign_scope_unit_id_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
        sa.UniqueConstraint("code", name=op.f("uq_campaign_code")),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_ends_on"), ["ends_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_campaign_reporting_until"), ["reporting_until"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaign_scope_unit_id"), ["scope_unit_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_campaign_starts_on"), ["starts_on"], unique=False)

    op.create_table(
        "indicator_category",
        sa.Column("indicator_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["content_category.id"],
            name=op.f("fk_indicator_category_category_id_content_category"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_category_indicator_id_indicator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("indicator_id", "category_id", name=op.f("pk_indicator_category")),
    )
    with op.batch_alter_table("indicator_category", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicator_category_category_id"), ["category_id"], unique=False
        )

    op.create_table(
        "campaign_category",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaign_category_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["content_category.id"],
            name=op.f("fk_campaign_category_category_id_content_category"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "category_id", name=op.f("pk_campaign_category")),
    )
    op.create_table(
        "campaign_indicator",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("indicator_id", sa.Uuid(), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "target IS NULL OR target >= 0", name=op.f("ck_campaign_indicator_target_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaign_indicator_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_campaign_indicator_indicator_id_indicator"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "indicator_id", name=op.f("pk_campaign_indicator")),
    )
    op.create_table(
        "campaign_target",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("indicator_id", sa.Uuid(), nullable=False),
        sa.Column("parent_unit_id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_campaign_target_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaign_target_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_campaign_target_indicator_id_indicator"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["parent_unit_id"],
            ["unit.id"],
            name=op.f("fk_campaign_target_parent_unit_id_unit"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_campaign_target_unit_id_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "unit_id", "indicator_id", name=op.f("pk_campaign_target")
        ),
    )
    with op.batch_alter_table("campaign_target", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_target_campaign_parent", ["campaign_id", "parent_unit_id"], unique=False
        )

    op.create_table(
        "campaign_target_set",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("parent_unit_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaign_target_set_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_unit_id"],
            ["unit.id"],
            name=op.f("fk_campaign_target_set_parent_unit_id_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "parent_unit_id", name=op.f("pk_campaign_target_set")
        ),
    )
    # ### end Alembic commands ###
    seed_catalogue()


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table("campaign_target_set")
    with op.batch_alter_table("campaign_target", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_target_campaign_parent")

    op.drop_table("campaign_target")
    op.drop_table("campaign_indicator")
    op.drop_table("campaign_category")
    with op.batch_alter_table("indicator_category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_category_category_id"))

    op.drop_table("indicator_category")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_starts_on"))
        batch_op.drop_index(batch_op.f("ix_campaign_scope_unit_id"))
        batch_op.drop_index(batch_op.f("ix_campaign_reporting_until"))
        batch_op.drop_index(batch_op.f("ix_campaign_ends_on"))

    op.drop_table("campaign")
    op.drop_table("indicator")
    op.drop_table("content_category")
    # ### end Alembic commands ###
