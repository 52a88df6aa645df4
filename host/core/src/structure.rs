//! The structure of a page on top of its lines: blocks in reading order, tables, key–value
//! pairs; and the named fields a tenant's `extract-fields` plugin finds in a document.
//!
//! Lines are named by their index in the page's `lines` (`line_ids`). Every list here is
//! optional on the wire: a result stored before structure existed reads back with empty lists,
//! and clients that read only `lines` are unaffected.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::geometry::Quad;

/// What a block of lines is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// Lines of running text that belong together.
    Paragraph,
    /// A short line standing apart at the top of the page or of a column (a title, a letterhead).
    Header,
    /// Rows and columns of cells (a receipt's item rows, a price list); see the page's `tables`.
    Table,
    /// `label: value` lines, or labels beside or above their values (a form); see `pairs`.
    KeyValue,
}

/// A group of lines read together, in the page's reading order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Block {
    /// 0-based id of the block on its page.
    pub id: u32,
    pub kind: BlockKind,
    /// Position of the block in the page's reading order (0 first).
    pub order: u32,
    /// The block's bounding box, clockwise from the top-left corner.
    #[schema(value_type = Vec<Vec<f32>>)]
    pub points: Quad,
    /// Indexes into the page's `lines`, in reading order.
    pub line_ids: Vec<u32>,
}

/// One cell of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TableCell {
    /// 0-based row and column.
    pub row: u32,
    pub col: u32,
    /// Rows and columns the cell covers (1 and 1 for a plain cell).
    pub row_span: u32,
    pub col_span: u32,
    /// The cell's lines' text, joined with a space.
    pub text: String,
    /// Indexes into the page's `lines`.
    pub line_ids: Vec<u32>,
}

/// A table: its box and its cells, row by row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Table {
    #[schema(value_type = Vec<Vec<f32>>)]
    pub points: Quad,
    pub row_count: u32,
    pub col_count: u32,
    /// Cells in reading order (row by row, left to right).
    pub cells: Vec<TableCell>,
}

/// One side of a key–value pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PairPart {
    pub text: String,
    #[schema(value_type = Vec<Vec<f32>>)]
    pub points: Quad,
    /// Indexes into the page's `lines` (a key and its value can share one line: `Date: 12/03`).
    pub line_ids: Vec<u32>,
}

/// A label and its value (`Ngày: 12/03/2024`, `Name` above a filled-in name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KeyValuePair {
    pub key: PairPart,
    pub value: PairPart,
}

/// A named value a tenant's `extract-fields` plugin found in the document (`total`, `date`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Field {
    /// The field's name: lower-case letters, digits and `_`, as the plugin chose it.
    pub name: String,
    /// The text as read on the page.
    pub value: String,
    /// The value in a standard form (a date in ISO 8601, an amount as a plain number), when the
    /// plugin gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalized: Option<String>,
    /// The plugin's confidence in `[0, 1]`.
    pub confidence: f32,
    /// The page the value was found on.
    pub page_index: u32,
    /// Indexes into that page's `lines`.
    pub line_ids: Vec<u32>,
    /// What the plugin found, when a reviewer has since corrected `value`; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_value: Option<String>,
}

/// A reviewer's correction of one field's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldEdit {
    /// Index into the result's `fields`.
    pub index: u32,
    /// The field's name, as a check that `index` names the field the reviewer saw.
    pub name: String,
    /// The corrected value; sending the machine's value again undoes the edit.
    pub value: String,
}
