"""The whole product: catalogue fields, categories, attributes and combinations, features,
manufacturers, images, specific prices; links to shop records; per-shop language, tax and
guard settings.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(precision=20, scale=6)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NEW_TABLES = (
    "manufacturers", "categories", "attribute_groups", "attribute_values", "features", "feature_values",
    "remote_links", "combinations", "images", "product_categories", "product_features", "specific_prices",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "attribute_groups",
        sa.Column("id", ID, nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("public_name", sa.JSON(), nullable=False),
        sa.Column("group_type", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribute_groups")),
        sa.UniqueConstraint("key", name=op.f("uq_attribute_groups_key")),
    )
    op.create_table(
        "categories",
        sa.Column("id", ID, nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("slug", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["categories.id"], name=op.f("fk_categories_parent_id_categories"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("path", name=op.f("uq_categories_path")),
    )
    op.create_index(op.f("ix_categories_parent_id"), "categories", ["parent_id"], unique=False)
    op.create_table(
        "features",
        sa.Column("id", ID, nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_features")),
        sa.UniqueConstraint("key", name=op.f("uq_features_key")),
    )
    op.create_table(
        "manufacturers",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manufacturers")),
        sa.UniqueConstraint("name", name=op.f("uq_manufacturers_name")),
    )
    op.create_table(
        "attribute_values",
        sa.Column("id", ID, nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("color", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["attribute_groups.id"],
            name=op.f("fk_attribute_values_group_id_attribute_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribute_values")),
        sa.UniqueConstraint("group_id", "key", name=op.f("uq_attribute_values_group_id_key")),
    )
    op.create_table(
        "feature_values",
        sa.Column("id", ID, nullable=False),
        sa.Column("feature_id", ID, nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("custom", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feature_id"], ["features.id"], name=op.f("fk_feature_values_feature_id_features"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_values")),
        sa.UniqueConstraint("feature_id", "key", "custom", name=op.f("uq_feature_values_feature_id_key_custom")),
    )
    op.create_table(
        "remote_links",
        sa.Column("id", ID, nullable=False),
        sa.Column("shop_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("local_id", sa.BigInteger(), nullable=False),
        sa.Column("remote_id", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_remote_links_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_links")),
        sa.UniqueConstraint("shop_id", "kind", "local_id", name=op.f("uq_remote_links_shop_id_kind_local_id")),
        sa.UniqueConstraint("shop_id", "kind", "remote_id", name=op.f("uq_remote_links_shop_id_kind_remote_id")),
    )
    op.create_table(
        "combinations",
        sa.Column("id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("ean13", sa.String(length=13), nullable=False),
        sa.Column("isbn", sa.String(length=32), nullable=False),
        sa.Column("upc", sa.String(length=12), nullable=False),
        sa.Column("mpn", sa.String(length=40), nullable=False),
        sa.Column("price_impact", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("weight_impact", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("minimal_quantity", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_combinations_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_combinations")),
    )
    op.create_index(op.f("ix_combinations_product_id"), "combinations", ["product_id"], unique=False)
    op.create_table(
        "images",
        sa.Column("id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("cover", sa.Boolean(), nullable=False),
        sa.Column("legend", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_images_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_images")),
    )
    op.create_index(op.f("ix_images_product_id"), "images", ["product_id"], unique=False)
    op.create_table(
        "product_categories",
        sa.Column("product_id", ID, nullable=False),
        sa.Column("category_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_product_categories_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_categories_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("product_id", "category_id", name=op.f("pk_product_categories")),
    )
    op.create_table(
        "product_features",
        sa.Column("product_id", ID, nullable=False),
        sa.Column("feature_id", ID, nullable=False),
        sa.Column("value_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["feature_id"], ["features.id"], name=op.f("fk_product_features_feature_id_features"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_features_product_id_products"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["value_id"],
            ["feature_values.id"],
            name=op.f("fk_product_features_value_id_feature_values"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "feature_id", name=op.f("pk_product_features")),
    )
    op.create_table(
        "specific_prices",
        sa.Column("id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("combination_id", ID, nullable=True),
        sa.Column("price", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("reduction", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("reduction_type", sa.String(length=20), nullable=False),
        sa.Column("reduction_tax", sa.Boolean(), nullable=False),
        sa.Column("from_quantity", sa.Integer(), nullable=False),
        sa.Column("date_from", sa.String(length=19), nullable=False),
        sa.Column("date_to", sa.String(length=19), nullable=False),
        sa.ForeignKeyConstraint(
            ["combination_id"],
            ["combinations.id"],
            name=op.f("fk_specific_prices_combination_id_combinations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_specific_prices_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specific_prices")),
    )
    op.create_index(op.f("ix_specific_prices_product_id"), "specific_prices", ["product_id"], unique=False)

    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default="simple"))
        for name in ("description_short", "slug"):
            batch.add_column(sa.Column(name, sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("wholesale_price", MONEY, nullable=True))
        batch.add_column(sa.Column("tax_group", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("manufacturer_id", ID, nullable=True))
        batch.add_column(sa.Column("category_id", ID, nullable=True))
        for name in ("weight", "width", "height", "depth"):
            batch.add_column(sa.Column(name, MONEY, nullable=True))
        for name, width in (("ean13", 13), ("isbn", 32), ("upc", 12), ("mpn", 40)):
            batch.add_column(sa.Column(name, sa.String(length=width), nullable=True))
        batch.add_column(sa.Column("minimal_quantity", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_products_category_id_categories", "categories", ["category_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            "fk_products_manufacturer_id_manufacturers",
            "manufacturers",
            ["manufacturer_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("shops") as batch:
        batch.add_column(sa.Column("default_tax_group", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("fallback_language", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("guard_enabled", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("guard_share_pct", sa.Integer(), nullable=False, server_default="20"))
        batch.add_column(sa.Column("guard_price_pct", sa.Integer(), nullable=False, server_default="50"))


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        for name in ("guard_price_pct", "guard_share_pct", "guard_enabled", "fallback_language", "default_tax_group"):
            batch.drop_column(name)
    with op.batch_alter_table("products") as batch:
        batch.drop_constraint("fk_products_manufacturer_id_manufacturers", type_="foreignkey")
        batch.drop_constraint("fk_products_category_id_categories", type_="foreignkey")
        for name in (
            "minimal_quantity", "mpn", "upc", "isbn", "ean13", "depth", "height", "width", "weight",
            "category_id", "manufacturer_id", "tax_group", "wholesale_price", "slug", "description_short", "kind",
        ):  # fmt: skip
            batch.drop_column(name)
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
