//! A frame to one Parquet file, readable by every client: zstd at its default
//! level, default statistics, row groups of 512² rows, version 1 pages, and
//!
//! - strings as plain Arrow `LargeUtf8` (Polars holds them as `Utf8View`, which
//!   pyarrow 14 cannot open and with which no pyarrow dataset filter on a string
//!   column works), the Arrow schema in the footer saying so;
//! - in a published table, integers signed: an unsigned column is written as
//!   `Int64` (Spark reads `UINT_64` as a decimal; see [`Layout::signed`]);
//! - `sorting_columns` in every row group's metadata, for the order the caller
//!   says the rows are in ([`Layout::sorted_by`]).
//!
//! The string columns' dictionaries are built here. Polars dictionary-encodes a
//! string column by estimating its distinct count (HyperLogLog over every row) and
//! then hashing every row's bytes into a new dictionary. That was about 5% of a
//! provincial rebuild's CPU. The strings of our tables are views of a few shared
//! strings (codes, a file's path and hash), so here the rows are keyed by their
//! 16-byte view first and only each distinct view's bytes are hashed; the
//! dictionary's values are then written as a `LargeUtf8` array. The dictionary
//! comes out in order of first appearance, as polars-parquet's own does for a
//! `LargeUtf8` column, so the pages are the same bytes as its (tested).
//!
//! A column is written plainly (no dictionary) when more than three in four of
//! its rows are distinct, the rule Polars applies (to its estimate).

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

use polars::prelude::*;
use polars_arrow::array::{Array, ArrayRef, DictionaryArray, PrimitiveArray, Utf8Array, Utf8ViewArray};
use polars_arrow::datatypes::{ArrowDataType, IntegerType};
use polars_parquet::parquet::compression::Compression;
use polars_parquet::parquet::page::{CompressedDictPage, DataPageHeader};
use polars_parquet::parquet::CowBuffer;
use polars_parquet::write::{
    array_to_columns, compress, get_dtype_encoding, to_parquet_schema, write_metadata_sidecar, CompressedPage, CompressionOptions, DynIter,
    DynStreamingIterator, Encoding, FallibleStreamingIterator, FileWriter, StatisticsOptions, Version, WriteOptions,
};
use polars_parquet::write::{CompressedDataPage, Page};
use rayon::prelude::*;

/// Polars' default row group size.
const ROW_GROUP: usize = 512 * 512;

/// How a frame is laid out in its file beyond its data.
#[derive(Debug, Clone, Default)]
pub struct Layout<'a> {
    /// The columns the rows are sorted by, ascending, each with whether its nulls
    /// come first; written as every row group's `sorting_columns` (a column not in
    /// the frame ends the list there). Only what the caller has made true.
    pub sorted_by: &'a [(&'a str, bool)],
    /// Unsigned integer columns written as `Int64` (a published table). The state's
    /// own frames keep their types, so that what is read back is what was written.
    pub signed: bool,
}

impl<'a> Layout<'a> {
    /// A published table: signed integers, sorted by `sorted_by`.
    pub fn published(sorted_by: &'a [(&'a str, bool)]) -> Layout<'a> {
        Layout { sorted_by, signed: true }
    }
}

/// Writes `df` to `out`, which should be buffered (the writer makes many small
/// writes), with its types as they are and no sort order declared (the state's frames).
pub fn write<W: Write>(df: &mut DataFrame, out: W) -> PolarsResult<u64> {
    write_with(df, out, &Layout::default())
}

/// Writes `df` to `out` (buffered) as `layout` says.
pub fn write_with<W: Write>(df: &mut DataFrame, out: W, layout: &Layout) -> PolarsResult<u64> {
    let mut signed_copy;
    let df = if layout.signed && df.columns().iter().any(|c| c.dtype().is_unsigned_integer()) {
        // A copy (the columns are shared, only the unsigned ones are cast): the caller's
        // frame keeps its types. A value past i64::MAX is an error, not a wrapped number.
        signed_copy = df.clone();
        for name in df.get_column_names_owned() {
            if df.column(name.as_str())?.dtype().is_unsigned_integer() {
                let cast = df.column(name.as_str())?.strict_cast(&DataType::Int64)?;
                signed_copy.with_column(cast)?;
            }
        }
        &mut signed_copy
    } else {
        df
    };
    let chunked = polars::frame::chunk_df_for_writing(df, ROW_GROUP)?;
    // CompatLevel::oldest: strings as LargeUtf8 (not Utf8View) in the footer's Arrow schema.
    let schema = chunked.schema().to_arrow(CompatLevel::oldest());
    let sorting = sorting_columns(&schema, layout.sorted_by);
    let options =
        WriteOptions { statistics: StatisticsOptions::default(), compression: CompressionOptions::Zstd(None), version: Version::V1, data_page_size: None };
    let parquet_schema = to_parquet_schema(&schema)?;
    let encodings: Vec<Vec<Encoding>> = schema.iter_values().map(|f| get_dtype_encoding(&f.dtype)).collect();
    let fields: Vec<ArrowDataType> = schema.iter_values().map(|f| f.dtype.clone()).collect();
    let holding = Rc::new(Cell::new(false));
    let out = Tail { inner: out, holding: holding.clone(), held: Vec::new() };
    let mut writer = FileWriter::new_with_parquet_schema(out, schema, parquet_schema.clone(), options);
    for batch in chunked.iter_chunks(CompatLevel::newest(), false) {
        let rows = batch.len();
        if rows == 0 {
            continue;
        }
        // The columns encoded and their pages compressed in parallel (compressing as the
        // writer took them left one core idle whenever a single table was being written);
        // the writer then only lays the compressed pages out in order.
        let columns: Vec<PolarsResult<DynStreamingIterator<'static, CompressedPage, PolarsError>>> = batch
            .columns()
            .par_iter()
            .zip(parquet_schema.fields())
            .zip(&encodings)
            .zip(&fields)
            .flat_map_iter(|(((array, type_), encoding), field)| {
                let array = match for_writing(array, field) {
                    Ok(array) => array,
                    Err(e) => return vec![Err(e)],
                };
                let leaves = match array_to_columns(&array, type_.clone(), options, encoding) {
                    Ok(leaves) => leaves,
                    Err(e) => return vec![Err(e)],
                };
                leaves
                    .into_iter()
                    .map(|pages| {
                        let compressed = pages.map(|page| compressed(page?)).collect::<PolarsResult<Vec<CompressedPage>>>()?;
                        Ok(DynStreamingIterator::new(Pages { pages: compressed.into_iter(), current: None }))
                    })
                    .collect()
            })
            .collect();
        writer.write(rows as u64, DynIter::new(columns.into_iter()))?;
    }
    // The footer is held back: it is written again with the row groups' sorting columns.
    holding.set(!sorting.is_empty());
    let size = writer.end(None)?;
    let (mut out, mut metadata) = writer.into_inner_and_metadata();
    if sorting.is_empty() {
        out.inner.flush()?;
        return Ok(size);
    }
    // What `end` wrote: the page indexes, then the footer (Thrift metadata, its length, "PAR1").
    let held = std::mem::take(&mut out.held);
    let footer_len = held.len().checked_sub(8).and_then(|at| held.get(at..at + 4)).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize + 8);
    let indexes = footer_len.and_then(|n| held.len().checked_sub(n)).ok_or_else(|| polars_err!(ComputeError: "a Parquet footer shorter than its length"))?;
    out.inner.write_all(&held[..indexes])?;
    for group in &mut metadata.row_groups {
        group.sorting_columns = Some(sorting.clone());
    }
    // The sidecar form is "PAR1", the metadata, its length, "PAR1": the footer after its first four bytes.
    let mut footer = Vec::new();
    write_metadata_sidecar(&mut footer, &metadata).map_err(PolarsError::from)?;
    out.inner.write_all(&footer[4..])?;
    out.inner.flush()?;
    Ok((size as usize - (held.len() - indexes) + footer.len() - 4) as u64)
}

/// The footer's `sorting_columns` for `sorted_by`: the leading columns of the list
/// that are in the schema (a missing one ends it: the rows are not known to be
/// sorted by what follows it without it).
fn sorting_columns(schema: &ArrowSchema, sorted_by: &[(&str, bool)]) -> Vec<polars_parquet_format::SortingColumn> {
    sorted_by
        .iter()
        .map_while(|(name, nulls_first)| schema.index_of(name).map(|i| polars_parquet_format::SortingColumn::new(i as i32, false, *nulls_first)))
        .collect()
}

/// The writer under the file writer: passes everything through, except while
/// `holding` (the footer being written), when it keeps the bytes for [`write_with`].
struct Tail<W: Write> {
    inner: W,
    holding: Rc<Cell<bool>>,
    held: Vec<u8>,
}

impl<W: Write> Write for Tail<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.holding.get() {
            self.held.extend_from_slice(buf);
            Ok(buf.len())
        } else {
            self.inner.write(buf)
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.holding.get() {
            self.held.extend_from_slice(buf);
            Ok(())
        } else {
            self.inner.write_all(buf)
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.holding.get() {
            Ok(())
        } else {
            self.inner.flush()
        }
    }
}

/// A column's array as the file's schema has it: a string column (Utf8View in
/// memory) as a dictionary of LargeUtf8 values or, mostly distinct, as LargeUtf8;
/// other arrays as they are (their type must be the schema's).
fn for_writing(array: &ArrayRef, field: &ArrowDataType) -> PolarsResult<ArrayRef> {
    if let Some(a) = array.as_any().downcast_ref::<Utf8ViewArray>() {
        return Ok(dictionary_encoded(a).unwrap_or_else(|| large_utf8(a).boxed()));
    }
    if array.dtype() != field {
        polars_bail!(ComputeError: "writing Parquet: a column of type {:?} where the file's schema has {:?}", array.dtype(), field);
    }
    Ok(array.clone())
}

/// A string array with 64-bit offsets.
fn large_utf8(a: &Utf8ViewArray) -> Utf8Array<i64> {
    let values: Utf8Array<i64> = a.values_iter().map(Some).collect();
    values.with_validity(a.validity().cloned())
}

thread_local! {
    /// A zstd context per thread at zstd's default level, as `compress` uses (level 0),
    /// kept for the next page: creating one for every page (what `compress` does)
    /// cost about 1% of a rebuild's CPU. `ZSTD_compress2` resets the session at
    /// every call, so a page compresses to the same bytes as with a new context.
    static ZSTD: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> = const { std::cell::RefCell::new(None) };
}

/// One page compressed with zstd at its default level, as `compress(page, Vec::new(),
/// CompressionOptions::Zstd(None))` does it, with the thread's zstd context.
fn compressed(page: Page) -> PolarsResult<CompressedPage> {
    fn zstd_of(input: &[u8]) -> PolarsResult<Vec<u8>> {
        ZSTD.with(|cell| {
            let mut cell = cell.borrow_mut();
            let compressor = match cell.as_mut() {
                Some(c) => c,
                None => cell.insert(zstd::bulk::Compressor::new(0)?),
            };
            let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(input.len()));
            compressor.compress_to_buffer(input, &mut out)?;
            Ok(out)
        })
    }
    match page {
        Page::Data(page) if matches!(page.header(), DataPageHeader::V1(_)) => {
            let buffer = zstd_of(page.buffer())?;
            // Always set on a page being written (`compress` would panic without it).
            let rows = page.num_rows.ok_or_else(|| polars_err!(ComputeError: "a Parquet data page without its row count"))?;
            Ok(CompressedPage::Data(CompressedDataPage::new(
                page.header().clone(),
                CowBuffer::Owned(buffer),
                Compression::Zstd,
                page.buffer().len(),
                page.descriptor,
                rows,
            )))
        }
        Page::Dict(page) => {
            let buffer = zstd_of(&page.buffer)?;
            Ok(CompressedPage::Dict(CompressedDictPage::new(CowBuffer::Owned(buffer), Compression::Zstd, page.buffer.len(), page.num_values, page.is_sorted)))
        }
        page => Ok(compress(page, Vec::new(), CompressionOptions::Zstd(None))?),
    }
}

/// A column's pages, compressed already, handed to the writer one by one.
struct Pages {
    pages: std::vec::IntoIter<CompressedPage>,
    current: Option<CompressedPage>,
}

impl FallibleStreamingIterator for Pages {
    type Item = CompressedPage;
    type Error = PolarsError;

    fn advance(&mut self) -> PolarsResult<()> {
        self.current = self.pages.next();
        Ok(())
    }

    fn get(&self) -> Option<&CompressedPage> {
        self.current.as_ref()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.pages.size_hint()
    }
}

/// A string column as a dictionary array of LargeUtf8 values (keys in order of
/// first appearance), or None for a mostly distinct one.
fn dictionary_encoded(a: &Utf8ViewArray) -> Option<ArrayRef> {
    let rows = a.len();
    let mut by_view: rustc_hash::FxHashMap<u128, u32> = rustc_hash::FxHashMap::default();
    let mut by_text: rustc_hash::FxHashMap<&str, u32> = rustc_hash::FxHashMap::default();
    let mut distinct: Vec<&str> = Vec::new();
    let mut keys: Vec<u32> = Vec::with_capacity(rows);
    let mut last: Option<(u128, u32)> = None;
    for (i, view) in a.views().iter().enumerate() {
        if a.is_null(i) {
            keys.push(0);
            continue;
        }
        let bits = view.as_u128();
        let key = match last {
            Some((b, k)) if b == bits => k,
            _ => {
                let k = *by_view.entry(bits).or_insert_with(|| {
                    let s = a.value(i);
                    *by_text.entry(s).or_insert_with(|| {
                        distinct.push(s);
                        (distinct.len() - 1) as u32
                    })
                });
                last = Some((bits, k));
                k
            }
        };
        keys.push(key);
    }
    if rows > 128 && distinct.len() as f64 / rows as f64 > 0.75 {
        return None;
    }
    let values = Utf8Array::<i64>::from_slice(distinct);
    let keys = PrimitiveArray::<u32>::new(ArrowDataType::UInt32, keys.into(), a.validity().cloned());
    let dtype = ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(ArrowDataType::LargeUtf8), false);
    DictionaryArray::try_new(dtype, keys, values.boxed()).ok().map(|d| d.boxed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_io::prelude::{ParquetReader, SerReader};
    use polars_parquet::write::RowGroupIterator;

    /// What polars-parquet's own writer makes of the frame with its strings as LargeUtf8
    /// (its own dictionary decision and encoding, page by page compressed with `compress`).
    fn by_polars_parquet(df: &mut DataFrame) -> Vec<u8> {
        let chunked = polars::frame::chunk_df_for_writing(df, ROW_GROUP).unwrap();
        let schema = chunked.schema().to_arrow(CompatLevel::oldest());
        let options =
            WriteOptions { statistics: StatisticsOptions::default(), compression: CompressionOptions::Zstd(None), version: Version::V1, data_page_size: None };
        let encodings: Vec<Vec<Encoding>> = schema.iter_values().map(|f| get_dtype_encoding(&f.dtype)).collect();
        let batches: Vec<_> = chunked.iter_chunks(CompatLevel::oldest(), false).filter(|b| !b.is_empty()).collect();
        let rows: Vec<u64> = batches.iter().map(|b| b.len() as u64).collect();
        let groups = RowGroupIterator::try_new(batches.into_iter().map(Ok), &schema, options, encodings.into()).unwrap();
        let mut out = Vec::new();
        let mut writer = FileWriter::try_new(&mut out, schema, options).unwrap();
        for (group, rows) in groups.zip(rows) {
            writer.write(rows, group.unwrap()).unwrap();
        }
        writer.end(None).unwrap();
        out
    }

    fn ours(df: &mut DataFrame) -> Vec<u8> {
        let mut out = Vec::new();
        write(df, &mut out).unwrap();
        out
    }

    fn read(bytes: Vec<u8>) -> DataFrame {
        ParquetReader::new(std::io::Cursor::new(bytes)).finish().unwrap()
    }

    fn metadata(bytes: &[u8]) -> polars_parquet::parquet::metadata::FileMetadata {
        polars_parquet::parquet::read::read_metadata(&mut std::io::Cursor::new(bytes)).unwrap()
    }

    fn returns(n: usize) -> DataFrame {
        let code = |i: usize| ["F", "M", "_T"][i % 3];
        // Longer than a view holds inline (12 bytes), so they live in the buffers.
        let path = |i: usize| format!("卫健局/样本{:03}县/2024年妇幼卫生年报.xlsx", i % 7);
        df!(
            "sex" => (0..n).map(|i| Some(code(i))).collect::<Vec<_>>(),
            "source_file" => (0..n).map(|i| if i % 10 == 3 { None } else { Some(path(i)) }).collect::<Vec<_>>(),
            // Every row distinct: written plainly.
            "source_cell" => (0..n).map(|i| format!("C{i}")).collect::<Vec<_>>(),
            "value" => (0..n).map(|i| if i % 11 == 0 { None } else { Some(i as f64 * 0.5) }).collect::<Vec<_>>(),
            "year" => (0..n).map(|i| 2021 + (i % 4) as i32).collect::<Vec<_>>(),
            "derived" => (0..n).map(|i| i % 2 == 0).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn the_same_bytes_as_polars_parquet_writes_for_large_strings_and_the_same_frame_back() {
        let mut df = returns(1000);
        // The same strings again, built apart: equal text in other buffers (other views).
        df.vstack_mut(&returns(100)).unwrap();
        df.rechunk_mut();
        assert_eq!(ours(&mut df.clone()), by_polars_parquet(&mut df.clone()));
        assert!(read(ours(&mut df.clone())).equals_missing(&df));
    }

    #[test]
    fn the_footer_has_its_arrow_schema_and_the_pages_are_dictionaries() {
        let bytes = ours(&mut returns(1000));
        let meta = metadata(&bytes);
        // The footer's Arrow schema as readers other than Polars see it (Polars maps strings to
        // its views on reading): tests/python/check_clients.py checks it with pyarrow.
        let footer = String::from_utf8_lossy(&bytes);
        assert!(footer.contains("ARROW:schema"));
        let group = &meta.row_groups[0];
        let dictionary = |i: usize| group.parquet_columns()[i].dictionary_page_offset().is_some();
        // Three codes and seven paths: dictionaries; every cell distinct: plain.
        assert!(dictionary(0) && dictionary(1) && !dictionary(2));
    }

    #[test]
    fn one_zstd_context_kept_for_page_after_page_compresses_as_a_new_one_would() {
        // One thread: every page of the three files goes through the same context, the
        // first file's pages warming it with other data before the second's.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let frames = [returns(3000), df!("area" => vec!["420000"; 50], "value" => vec![1.5; 50]).unwrap(), returns(700)];
        pool.install(|| {
            for df in &frames {
                assert_eq!(ours(&mut df.clone()), by_polars_parquet(&mut df.clone()));
            }
        });
    }

    #[test]
    fn a_dictionary_of_each_distinct_text_in_order_of_first_appearance() {
        let long = "卫健局/样本001县/妇幼卫生年报.xlsx";
        // Two arrays of the same texts, concatenated: equal texts, different views.
        let part = || Utf8ViewArray::from_slice([Some("F"), Some(long), None, Some("F")]);
        let (a, b) = (part(), part());
        let both = polars_arrow::compute::concatenate::concatenate(&[&a as &dyn Array, &b]).unwrap();
        let both = both.as_any().downcast_ref::<Utf8ViewArray>().unwrap();
        let views = both.views();
        assert_ne!(views[1].as_u128(), views[5].as_u128(), "the test needs equal texts under different views");
        let dict = dictionary_encoded(both).unwrap();
        let dict = dict.as_any().downcast_ref::<DictionaryArray<u32>>().unwrap();
        let values = dict.values().as_any().downcast_ref::<Utf8Array<i64>>().unwrap();
        assert_eq!(values.values_iter().collect::<Vec<_>>(), vec!["F", long]);
        let keys: Vec<Option<u32>> = dict.keys().iter().map(|k| k.copied()).collect();
        assert_eq!(keys, vec![Some(0), Some(1), None, Some(0), Some(0), Some(1), None, Some(0)]);
        // Mostly distinct (past 128 rows): left to the plain encoding, as LargeUtf8.
        let distinct = Utf8ViewArray::from_slice_values((0..200).map(|i| format!("C{i}")).collect::<Vec<_>>());
        assert!(dictionary_encoded(&distinct).is_none());
        let plain = for_writing(&distinct.clone().boxed(), &ArrowDataType::LargeUtf8).unwrap();
        assert_eq!(plain.dtype(), &ArrowDataType::LargeUtf8);
        assert_eq!(plain.as_any().downcast_ref::<Utf8Array<i64>>().unwrap().value(199), "C199");
        // Not a string column: as it is.
        let ints = PrimitiveArray::<i32>::from_vec(vec![1, 1]).boxed();
        assert_eq!(for_writing(&ints, &ArrowDataType::Int32).unwrap().dtype(), &ArrowDataType::Int32);
        // A type other than the schema's is an error, not a wrong file.
        assert!(for_writing(&ints, &ArrowDataType::Int64).is_err());
    }

    #[test]
    fn an_empty_frame_and_one_of_nulls() {
        let mut empty = df!("area" => Vec::<String>::new(), "value" => Vec::<f64>::new()).unwrap();
        assert_eq!(ours(&mut empty.clone()), by_polars_parquet(&mut empty));
        let nulls = df!("area" => vec![None::<&str>; 300]).unwrap();
        assert_eq!(ours(&mut nulls.clone()), by_polars_parquet(&mut nulls.clone()));
        assert!(read(ours(&mut nulls.clone())).equals_missing(&nulls));
    }

    #[test]
    fn more_rows_than_a_row_group() {
        let n = 2 * ROW_GROUP + 7;
        let df = df!(
            "area" => (0..n).map(|i| if i % 2 == 0 { "421321100" } else { "421321101" }).collect::<Vec<_>>(),
            "value" => (0..n).map(|i| i as f64).collect::<Vec<_>>(),
        )
        .unwrap();
        let bytes = ours(&mut df.clone());
        assert_eq!(bytes, by_polars_parquet(&mut df.clone()));
        assert_eq!(metadata(&bytes).row_groups.len(), 2);
        assert!(read(bytes).equals_missing(&df));
    }

    #[test]
    fn sorting_columns_in_every_row_group_and_nothing_else_changed() {
        let n = 2 * ROW_GROUP + 7;
        let df = df!(
            "area" => (0..n).map(|i| if i < n / 2 { "421321100" } else { "421321101" }).collect::<Vec<_>>(),
            "sex" => (0..n).map(|i| ["F", "M"][(i * 2 / n.max(1)) % 2]).collect::<Vec<_>>(),
            "value" => (0..n).map(|i| i as f64).collect::<Vec<_>>(),
        )
        .unwrap();
        let mut out = Vec::new();
        // "year" is not in the frame (a partition's key): the list ends there.
        let size = write_with(&mut df.clone(), &mut out, &Layout::published(&[("area", false), ("value", true), ("year", false), ("sex", false)])).unwrap();
        assert_eq!(size as usize, out.len());
        let meta = metadata(&out);
        assert_eq!(meta.row_groups.len(), 2);
        for group in &meta.row_groups {
            let cols: Vec<(i32, bool, bool)> = group.sorting_columns().unwrap().iter().map(|c| (c.column_idx, c.descending, c.nulls_first)).collect();
            assert_eq!(cols, vec![(0, false, false), (2, false, true)]);
        }
        assert!(read(out.clone()).equals_missing(&df));
        // The data and the page indexes are the same bytes as without the sort order.
        let plain = ours(&mut df.clone());
        let footer = |b: &[u8]| u32::from_le_bytes(b[b.len() - 8..b.len() - 4].try_into().unwrap()) as usize + 8;
        assert_eq!(out[..out.len() - footer(&out)], plain[..plain.len() - footer(&plain)]);
        // No sort order: no sorting_columns.
        assert!(metadata(&plain).row_groups[0].sorting_columns().is_none());
    }

    #[test]
    fn a_published_table_has_signed_integers_and_the_frame_keeps_its_types() {
        let mut df = df!("cells_read" => [0u64, 7, 1 << 40], "depth" => [1u32, 2, 3], "year" => [2024i32, 2024, 2024]).unwrap();
        let mut out = Vec::new();
        write_with(&mut df, &mut out, &Layout::published(&[])).unwrap();
        assert_eq!(df.column("cells_read").unwrap().dtype(), &DataType::UInt64);
        let back = read(out);
        assert_eq!(back.column("cells_read").unwrap().dtype(), &DataType::Int64);
        assert_eq!(back.column("depth").unwrap().dtype(), &DataType::Int64);
        assert_eq!(back.column("year").unwrap().dtype(), &DataType::Int32);
        assert_eq!(back.column("cells_read").unwrap().i64().unwrap().iter().collect::<Vec<_>>(), vec![Some(0), Some(7), Some(1 << 40)]);
        // Past i64::MAX: an error, not a wrapped count.
        let mut huge = df!("n" => [u64::MAX]).unwrap();
        assert!(write_with(&mut huge, &mut Vec::new(), &Layout::published(&[])).is_err());
        // The state's frames keep their unsigned types.
        let mut out = Vec::new();
        write(&mut df, &mut out).unwrap();
        assert_eq!(read(out).column("depth").unwrap().dtype(), &DataType::UInt32);
    }
}
