DROP TABLE catalog_item_versions;
DROP TABLE catalog_items;
DROP TABLE catalog_categories;
