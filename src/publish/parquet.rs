//! A frame to one Parquet file, as Polars' `ParquetWriter` writes it (zstd at its
//! default level, default statistics, row groups of 512² rows, version 1 pages,
//! the Arrow schema in the footer) but with the string columns' dictionaries
//! built here.
//!
//! Polars dictionary-encodes a string column by estimating its distinct count
//! (HyperLogLog over every row) and then hashing every row's bytes into a new
//! dictionary. That was about 5% of a provincial rebuild's CPU. The strings of
//! our tables are views of a few shared strings (codes, a file's path and hash),
//! so here the rows are keyed by their 16-byte view first and only each distinct
//! view's bytes are hashed. The dictionary comes out in order of first
//! appearance, as Polars' own does, so the files are the same bytes.
//!
//! A column is written plainly (no dictionary) when more than three in four of
//! its rows are distinct, the rule Polars applies (to its estimate).

use polars::prelude::*;
use polars_arrow::array::{Array, ArrayRef, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::{ArrowDataType, IntegerType};
use polars_parquet::parquet::compression::Compression;
use polars_parquet::parquet::page::{CompressedDictPage, DataPageHeader};
use polars_parquet::parquet::CowBuffer;
use polars_parquet::write::{
    array_to_columns, compress, get_dtype_encoding, to_parquet_schema, CompressedPage, CompressionOptions, DynIter, DynStreamingIterator, Encoding,
    FallibleStreamingIterator, FileWriter, Version, WriteOptions,
};
use polars_parquet::write::{CompressedDataPage, Page};
use rayon::prelude::*;

/// Polars' default row group size.
const ROW_GROUP: usize = 512 * 512;

/// Writes `df` to `out`, which should be buffered (the writer makes many small writes).
pub fn write<W: std::io::Write>(df: &mut DataFrame, out: W) -> PolarsResult<u64> {
    let chunked = polars::frame::chunk_df_for_writing(df, ROW_GROUP)?;
    let schema = chunked.schema().to_arrow(CompatLevel::newest());
    let options =
        WriteOptions { statistics: StatisticsOptions::default(), compression: CompressionOptions::Zstd(None), version: Version::V1, data_page_size: None };
    let parquet_schema = to_parquet_schema(&schema)?;
    let encodings: Vec<Vec<Encoding>> = schema.iter_values().map(|f| get_dtype_encoding(&f.dtype)).collect();
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
            .flat_map_iter(|((array, type_), encoding)| {
                let array = dictionary_encoded(array).unwrap_or_else(|| array.clone());
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
    let size = writer.end(None)?;
    writer.into_inner().flush()?;
    Ok(size)
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

/// A string column as a dictionary array (keys in order of first appearance), or
/// None for other columns and for mostly distinct ones.
fn dictionary_encoded(array: &ArrayRef) -> Option<ArrayRef> {
    let a = array.as_any().downcast_ref::<Utf8ViewArray>()?;
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
    let values = Utf8ViewArray::from_slice_values(distinct);
    let keys = PrimitiveArray::<u32>::new(ArrowDataType::UInt32, keys.into(), a.validity().cloned());
    let dtype = ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(a.dtype().clone()), false);
    DictionaryArray::try_new(dtype, keys, values.boxed()).ok().map(|d| d.boxed())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Polars' own writer makes of the frame, with the options publishing used before.
    fn by_polars(df: &mut DataFrame) -> Vec<u8> {
        let mut out = Vec::new();
        ParquetWriter::new(&mut out).with_compression(ParquetCompression::Zstd(None)).with_statistics(StatisticsOptions::default()).finish(df).unwrap();
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
    fn the_same_bytes_as_polars_writer_and_the_same_frame_back() {
        let mut df = returns(1000);
        // The same strings again, built apart: equal text in other buffers (other views).
        df.vstack_mut(&returns(100)).unwrap();
        df.rechunk_mut();
        assert_eq!(ours(&mut df.clone()), by_polars(&mut df.clone()));
        assert!(read(ours(&mut df.clone())).equals_missing(&df));
    }

    #[test]
    fn one_zstd_context_kept_for_page_after_page_compresses_as_a_new_one_would() {
        // One thread: every page of the three files goes through the same context, the
        // first file's pages warming it with other data before the second's.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let frames = [returns(3000), df!("area" => vec!["420000"; 50], "value" => vec![1.5; 50]).unwrap(), returns(700)];
        pool.install(|| {
            for df in &frames {
                assert_eq!(ours(&mut df.clone()), by_polars(&mut df.clone()));
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
        let views = both.as_any().downcast_ref::<Utf8ViewArray>().unwrap().views();
        assert_ne!(views[1].as_u128(), views[5].as_u128(), "the test needs equal texts under different views");
        let dict = dictionary_encoded(&both).unwrap();
        let dict = dict.as_any().downcast_ref::<DictionaryArray<u32>>().unwrap();
        let values = dict.values().as_any().downcast_ref::<Utf8ViewArray>().unwrap();
        assert_eq!(values.values_iter().collect::<Vec<_>>(), vec!["F", long]);
        let keys: Vec<Option<u32>> = dict.keys().iter().map(|k| k.copied()).collect();
        assert_eq!(keys, vec![Some(0), Some(1), None, Some(0), Some(0), Some(1), None, Some(0)]);
        // Mostly distinct (past 128 rows): left to the plain encoding.
        let distinct = Utf8ViewArray::from_slice_values((0..200).map(|i| format!("C{i}")).collect::<Vec<_>>());
        assert!(dictionary_encoded(&distinct.boxed()).is_none());
        // Not a string column.
        assert!(dictionary_encoded(&PrimitiveArray::<i32>::from_vec(vec![1, 1]).boxed()).is_none());
    }

    #[test]
    fn an_empty_frame_and_one_of_nulls() {
        let mut empty = df!("area" => Vec::<String>::new(), "value" => Vec::<f64>::new()).unwrap();
        assert_eq!(ours(&mut empty.clone()), by_polars(&mut empty));
        let nulls = df!("area" => vec![None::<&str>; 300]).unwrap();
        assert_eq!(ours(&mut nulls.clone()), by_polars(&mut nulls.clone()));
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
        assert_eq!(bytes, by_polars(&mut df.clone()));
        let meta = ParquetReader::new(std::io::Cursor::new(bytes.clone())).get_metadata().unwrap().clone();
        assert_eq!(meta.row_groups.len(), 2);
        assert!(read(bytes).equals_missing(&df));
    }
}
