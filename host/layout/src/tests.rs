//! Pages spelled out as boxes and text, with 20 px lines (the line height every rule is in).

use ocr_core::{BlockKind, OcrLine, OcrPage};

use super::*;

fn page(lines: &[(&str, [f32; 4])]) -> OcrPage {
    let lines = lines
        .iter()
        .map(|&(t, [x0, y0, x1, y1])| {
            OcrLine::recognized(t.into(), 0.9, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], vec![0.9; t.chars().count()])
        })
        .collect();
    OcrPage { page_index: 0, width: 1000, height: 1400, lines, ..Default::default() }
}

/// The texts of the page's lines in reading order, block by block.
fn reading(p: &OcrPage, s: &PageStructure) -> Vec<Vec<String>> {
    s.blocks.iter().map(|b| b.line_ids.iter().map(|&i| p.lines[i as usize].text.clone()).collect()).collect()
}

fn every_line_once(p: &OcrPage, s: &PageStructure) {
    let mut ids: Vec<u32> = s.blocks.iter().flat_map(|b| b.line_ids.clone()).collect();
    ids.sort();
    assert_eq!(ids, (0..p.lines.len() as u32).collect::<Vec<_>>());
    for (i, b) in s.blocks.iter().enumerate() {
        assert_eq!((b.id, b.order), (i as u32, i as u32));
    }
}

#[test]
fn a_letter_header_reads_its_left_column_then_its_right_column_then_the_body() {
    // Detection order is top to bottom, which interleaves the two columns.
    let p = page(&[
        ("CÔNG TY TNHH ABC", [60.0, 40.0, 360.0, 60.0]),
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", [480.0, 40.0, 940.0, 60.0]),
        ("Số: 12/2024/CV", [120.0, 66.0, 300.0, 86.0]),
        ("Độc lập - Tự do - Hạnh phúc", [560.0, 66.0, 860.0, 86.0]),
        ("Hà Nội, ngày 5 tháng 3 năm 2024", [580.0, 110.0, 940.0, 130.0]),
        ("Kính gửi: Ông Nguyễn Văn An", [300.0, 180.0, 700.0, 200.0]),
        ("Công ty chúng tôi xin thông báo lịch làm việc trong tháng ba như sau, đề nghị", [60.0, 230.0, 940.0, 250.0]),
        ("quý ông sắp xếp thời gian tham dự đầy đủ các buổi họp theo lịch.", [60.0, 256.0, 800.0, 276.0]),
    ]);
    let s = analyze(&p);
    every_line_once(&p, &s);
    let order: Vec<String> = reading(&p, &s).concat();
    assert_eq!(
        order[..5],
        [
            "CÔNG TY TNHH ABC",
            "Số: 12/2024/CV",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Hà Nội, ngày 5 tháng 3 năm 2024"
        ]
    );
    let blocks = reading(&p, &s);
    assert_eq!(blocks[0], ["CÔNG TY TNHH ABC", "Số: 12/2024/CV"]);
    assert_eq!(blocks.last().unwrap().len(), 2, "the body is one paragraph: {blocks:?}");
    assert_eq!(s.blocks.last().unwrap().kind, BlockKind::Paragraph);
    assert_eq!(s.blocks[1].kind, BlockKind::Header);
    assert!(s.tables.is_empty(), "text beside text is two columns, not a table");
    // The addressee and the number are pairs; the body gives none.
    let keys: Vec<&str> = s.pairs.iter().map(|p| p.key.text.as_str()).collect();
    assert_eq!(keys, ["Số", "Kính gửi"]);
}

#[test]
fn item_names_on_lines_of_their_own_are_rows_of_the_item_table_and_the_totals_are_not() {
    // A till receipt that sets each item's name above its quantity and amount.
    let p = page(&[
        ("Thu ngân: Nguyễn Văn An", [20.0, 40.0, 320.0, 60.0]),
        ("Sữa tươi không đường", [20.0, 80.0, 280.0, 100.0]),
        ("2 x 17.000", [40.0, 106.0, 180.0, 126.0]),
        ("34.000", [470.0, 106.0, 560.0, 126.0]),
        ("Gạo thơm ST25 5kg", [20.0, 132.0, 250.0, 152.0]),
        ("1 x 100.000", [40.0, 158.0, 190.0, 178.0]),
        ("100.000", [460.0, 158.0, 560.0, 178.0]),
        ("Bột giặt", [20.0, 184.0, 130.0, 204.0]),
        ("1 x 29.000", [40.0, 210.0, 180.0, 230.0]),
        ("29.000", [470.0, 210.0, 560.0, 230.0]),
        ("Tổng tiền hàng:", [20.0, 240.0, 210.0, 260.0]),
        ("163.000", [460.0, 240.0, 560.0, 260.0]),
        ("THANH TOÁN:", [20.0, 266.0, 180.0, 286.0]),
        ("163.000", [460.0, 266.0, 560.0, 286.0]),
    ]);
    let s = analyze(&p);
    every_line_once(&p, &s);
    assert_eq!(s.tables.len(), 1, "{:?}", reading(&p, &s));
    let t = &s.tables[0];
    let row = |r: u32| t.cells.iter().filter(|c| c.row == r).map(|c| c.text.as_str()).collect::<Vec<_>>();
    assert_eq!((t.row_count, t.col_count), (6, 2));
    assert_eq!(row(0), ["Sữa tươi không đường"]);
    assert_eq!(row(1), ["2 x 17.000", "34.000"]);
    assert_eq!(row(4), ["Bột giặt"]);
    assert_eq!(row(5), ["1 x 29.000", "29.000"]);
    let table_block = s.blocks.iter().find(|b| b.kind == BlockKind::Table).unwrap();
    assert_eq!(table_block.line_ids, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The labelled totals under the items pair up; the cashier's line above stays out.
    let pairs: Vec<(&str, &str)> = s.pairs.iter().map(|p| (p.key.text.as_str(), p.value.text.as_str())).collect();
    assert!(pairs.contains(&("THANH TOÁN", "163.000")) && pairs.contains(&("Tổng tiền hàng", "163.000")), "{pairs:?}");
}

#[test]
fn a_shop_name_set_larger_over_its_address_is_a_title_not_a_label() {
    let p = page(&[
        ("NHÀ THUỐC AN KHANG", [160.0, 20.0, 440.0, 52.0]),
        ("89 Võ Thị Sáu", [220.0, 58.0, 380.0, 78.0]),
        ("TP. Thủ Đức, TP. Hồ Chí Minh", [150.0, 84.0, 450.0, 104.0]),
        ("Thu ngân: Bùi Thị Lệ Quyên", [20.0, 130.0, 330.0, 150.0]),
        ("Ghi chú: giao tận nơi", [20.0, 156.0, 280.0, 176.0]),
        // A field name in capitals at the text's size still takes its value under it.
        ("NGƯỜI NHẬN", [20.0, 200.0, 160.0, 220.0]),
        ("Nguyễn Văn An", [20.0, 226.0, 190.0, 246.0]),
    ]);
    let s = analyze(&p);
    let pairs: Vec<(&str, &str)> = s.pairs.iter().map(|p| (p.key.text.as_str(), p.value.text.as_str())).collect();
    assert!(pairs.iter().all(|(k, _)| *k != "NHÀ THUỐC AN KHANG"), "{pairs:?}");
    assert!(pairs.contains(&("NGƯỜI NHẬN", "Nguyễn Văn An")), "{pairs:?}");
}

#[test]
fn receipt_item_rows_are_table_rows_of_three_cells() {
    let p = page(&[
        ("CỬA HÀNG BÁNH MÌ HÒA", [120.0, 20.0, 480.0, 44.0]),
        ("Tên hàng", [20.0, 80.0, 140.0, 100.0]),
        ("Đơn giá", [300.0, 80.0, 400.0, 100.0]),
        ("T.Tiền", [470.0, 80.0, 560.0, 100.0]),
        ("1 Bánh baget ĐT", [20.0, 108.0, 230.0, 128.0]),
        ("6.000", [320.0, 108.0, 400.0, 128.0]),
        ("6,000", [480.0, 108.0, 560.0, 128.0]),
        ("2 Cà phê sữa đá", [20.0, 136.0, 230.0, 156.0]),
        ("25.000", [310.0, 137.0, 400.0, 157.0]),
        ("50,000", [470.0, 136.0, 560.0, 156.0]),
        ("Tổng cộng:", [20.0, 200.0, 170.0, 220.0]),
        ("56.000", [460.0, 200.0, 560.0, 220.0]),
    ]);
    let s = analyze(&p);
    every_line_once(&p, &s);
    assert_eq!(s.tables.len(), 1, "{:?}", reading(&p, &s));
    let t = &s.tables[0];
    assert_eq!((t.row_count, t.col_count), (3, 3));
    let row = |r: u32| t.cells.iter().filter(|c| c.row == r).map(|c| c.text.as_str()).collect::<Vec<_>>();
    assert_eq!(row(1), ["1 Bánh baget ĐT", "6.000", "6,000"]);
    assert_eq!(row(2), ["2 Cà phê sữa đá", "25.000", "50,000"]);
    assert!(t.cells.iter().all(|c| c.col_span == 1 && c.row_span == 1));
    let table_block = s.blocks.iter().find(|b| b.kind == BlockKind::Table).unwrap();
    assert_eq!(table_block.line_ids, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The total is a pair, the items are not.
    assert_eq!(s.pairs.len(), 1);
    assert_eq!((s.pairs[0].key.text.as_str(), s.pairs[0].value.text.as_str()), ("Tổng cộng", "56.000"));
}

#[test]
fn a_single_item_row_split_in_three_boxes_is_one_table_row() {
    let p = page(&[
        ("1 Bánh baget ĐT", [20.0, 108.0, 230.0, 128.0]),
        ("6.000", [320.0, 108.0, 400.0, 128.0]),
        ("6,000", [480.0, 109.0, 560.0, 129.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(s.tables.len(), 1);
    assert_eq!(s.tables[0].row_count, 1);
    assert_eq!(s.tables[0].cells.len(), 3);
}

#[test]
fn a_single_item_row_with_a_unit_and_a_tax_code_is_a_table_row_but_a_row_of_labelled_figures_is_not() {
    // Name, quantity, unit, price, amount and tax code: words are followed by figures twice.
    let item = page(&[
        ("KOPI O", [20.0, 108.0, 140.0, 128.0]),
        ("2", [200.0, 108.0, 220.0, 128.0]),
        ("CUP", [250.0, 108.0, 300.0, 128.0]),
        ("2.50", [340.0, 108.0, 400.0, 128.0]),
        ("5.00", [480.0, 108.0, 560.0, 128.0]),
        ("SR", [600.0, 108.0, 640.0, 128.0]),
    ]);
    let s = analyze(&item);
    assert_eq!(s.tables.len(), 1);
    assert_eq!(s.tables[0].cells.len(), 6);
    // Three labels, each followed by its figures: three fields on one row of a form.
    let form = page(&[
        ("Submission", [20.0, 108.0, 160.0, 128.0]),
        ("88", [180.0, 108.0, 210.0, 128.0]),
        ("Start", [260.0, 108.0, 330.0, 128.0]),
        ("7", [350.0, 108.0, 365.0, 128.0]),
        ("88", [400.0, 108.0, 430.0, 128.0]),
        ("Completion", [480.0, 108.0, 620.0, 128.0]),
        ("11", [640.0, 108.0, 670.0, 128.0]),
        ("88", [710.0, 108.0, 740.0, 128.0]),
    ]);
    let s = analyze(&form);
    assert!(s.tables.is_empty(), "{:?}", s.tables);
    every_line_once(&form, &s);
}

#[test]
fn a_form_gives_inline_beside_and_above_pairs_but_its_title_gives_none() {
    let p = page(&[
        ("PHIẾU ĐĂNG KÝ", [380.0, 20.0, 620.0, 44.0]),
        ("Họ và tên: Nguyễn Văn An", [40.0, 80.0, 400.0, 100.0]),
        ("Ngày sinh:", [40.0, 120.0, 180.0, 140.0]),
        ("12/03/1990", [300.0, 120.0, 450.0, 140.0]),
        ("Địa chỉ:", [40.0, 170.0, 150.0, 190.0]),
        ("12 Lê Lợi, Quận 1, TP. Hồ Chí Minh", [40.0, 196.0, 480.0, 216.0]),
        ("Ghi chú", [40.0, 260.0, 140.0, 280.0]),
        ("Khách hàng đăng ký tham gia chương trình từ tháng ba", [40.0, 286.0, 700.0, 306.0]),
    ]);
    let s = analyze(&p);
    every_line_once(&p, &s);
    let pairs: Vec<(&str, &str)> = s.pairs.iter().map(|p| (p.key.text.as_str(), p.value.text.as_str())).collect();
    assert_eq!(
        pairs,
        [
            ("Họ và tên", "Nguyễn Văn An"),
            ("Ngày sinh", "12/03/1990"),
            ("Địa chỉ", "12 Lê Lợi, Quận 1, TP. Hồ Chí Minh"),
            ("Ghi chú", "Khách hàng đăng ký tham gia chương trình từ tháng ba"),
        ]
    );
    // The inline pair's key is the left part of its line, the value the right part.
    let inline = &s.pairs[0];
    assert_eq!(inline.key.line_ids, inline.value.line_ids);
    assert!(inline.key.points[1][0] <= inline.value.points[0][0] + 0.01);
    assert!(inline.key.points[0][0] == 40.0 && inline.value.points[1][0] == 400.0);
    assert!(s.blocks.iter().any(|b| b.kind == BlockKind::KeyValue));
}

#[test]
fn running_text_with_colons_and_times_gives_no_pairs() {
    let p = page(&[
        ("Cuộc họp bắt đầu lúc 10:15 tại phòng họp lớn của công ty, gồm các nội dung sau:", [40.0, 40.0, 940.0, 60.0]),
        ("báo cáo kết quả kinh doanh quý một và kế hoạch quý hai của các phòng ban.", [40.0, 66.0, 900.0, 86.0]),
        ("Xem thêm: https://example.com", [40.0, 92.0, 500.0, 112.0]),
    ]);
    let s = analyze(&p);
    let pairs: Vec<(&str, &str)> = s.pairs.iter().map(|p| (p.key.text.as_str(), p.value.text.as_str())).collect();
    assert_eq!(pairs, [("Xem thêm", "https://example.com")]);
}

#[test]
fn an_empty_page_has_no_structure_and_the_same_lines_give_the_same_structure() {
    assert_eq!(analyze(&page(&[])), PageStructure::default());
    let p = page(&[("a", [0.0, 0.0, 10.0, 10.0]), ("b", [0.0, 0.0, 10.0, 10.0]), ("", [5.0, 5.0, 5.0, 5.0])]);
    let s = analyze(&p);
    every_line_once(&p, &s);
    assert_eq!(s, analyze(&p));
}

#[test]
fn annotate_fills_every_page_and_keeps_the_lines() {
    let mut r = OcrResult::new(vec![page(&[("Ngày: 12/03", [0.0, 0.0, 200.0, 20.0])])], "m".into());
    let lines = r.pages[0].lines.clone();
    annotate(&mut r);
    assert_eq!(r.pages[0].lines, lines);
    assert_eq!(r.pages[0].blocks.len(), 1);
    assert_eq!(r.pages[0].pairs.len(), 1);
}

#[test]
fn a_tall_stamp_beside_two_rows_does_not_join_them_into_one() {
    // A vertical stamp 3.5 line heights tall at the right margin, beside a heading and the row
    // under it: the label still finds its value on its own row.
    let p = page(&[
        ("SUPERVISOR INFORMATION:", [130.0, 808.0, 396.0, 836.0]),
        ("NAME OF SUPERVISOR:", [130.0, 848.0, 330.0, 866.0]),
        ("Jerome Curry", [355.0, 851.0, 443.0, 867.0]),
        ("2", [661.0, 799.0, 679.0, 871.0]),
    ]);
    let s = analyze(&p);
    every_line_once(&p, &s);
    let pairs: Vec<(&str, &str)> = s.pairs.iter().map(|p| (p.key.text.as_str(), p.value.text.as_str())).collect();
    assert_eq!(pairs, [("NAME OF SUPERVISOR", "Jerome Curry")]);
}

#[test]
fn colon_less_labels_pair_with_numbers_and_text_but_not_with_other_labels() {
    let p = page(&[
        ("PHONE NUMBER", [40.0, 40.0, 240.0, 60.0]),
        ("(201) 923-9208", [300.0, 40.0, 480.0, 60.0]),
        ("Address", [40.0, 100.0, 150.0, 120.0]),
        ("City", [40.0, 126.0, 110.0, 146.0]),
        ("Room 43, State House", [40.0, 200.0, 320.0, 220.0]),
        ("Providence, Rhode Island 02903", [40.0, 226.0, 440.0, 246.0]),
    ]);
    let s = analyze(&p);
    let pairs: Vec<(&str, &str)> = s.pairs.iter().map(|p| (p.key.text.as_str(), p.value.text.as_str())).collect();
    assert_eq!(pairs, [("PHONE NUMBER", "(201) 923-9208")]);
}

fn texts(s: &PageStructure) -> Vec<(&str, &str)> {
    s.pairs.iter().map(|p| (p.key.text.as_str(), p.value.text.as_str())).collect()
}

#[test]
fn a_label_and_its_figure_read_as_one_line_split_before_the_figure() {
    let p = page(&[
        ("Hours worked 37.5", [40.0, 40.0, 260.0, 60.0]),
        ("Fuel used 12 kg", [40.0, 100.0, 240.0, 120.0]),
        ("Kingston, Ontario 40512", [40.0, 160.0, 340.0, 180.0]),
        ("Box 12, Main Street", [40.0, 220.0, 300.0, 240.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(texts(&s), [("Hours worked", "37.5"), ("Fuel used", "12 kg")]);
    // The key is the left part of the line, placed by character count.
    let first = &s.pairs[0];
    assert_eq!(first.key.line_ids, first.value.line_ids);
    assert!(first.key.points[1][0] < first.value.points[0][0] + 0.01 && first.value.points[1][0] == 260.0);
}

#[test]
fn a_column_heading_takes_each_figure_down_its_column() {
    let p = page(&[
        ("AMOUNT", [400.0, 40.0, 480.0, 60.0]),
        ("120", [410.0, 66.0, 470.0, 86.0]),
        ("75", [420.0, 92.0, 470.0, 112.0]),
        ("310", [410.0, 118.0, 470.0, 138.0]),
        ("Thank you for your order", [40.0, 240.0, 400.0, 260.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(texts(&s), [("AMOUNT", "120"), ("AMOUNT", "75"), ("AMOUNT", "310")]);
}

#[test]
fn a_value_of_several_lines_under_its_label_is_one_value() {
    let p = page(&[
        ("Remarks:", [40.0, 40.0, 140.0, 60.0]),
        ("The parcel arrived two days late and the box", [40.0, 66.0, 600.0, 86.0]),
        ("was opened before delivery.", [40.0, 90.0, 380.0, 110.0]),
        ("Sender:", [40.0, 160.0, 130.0, 180.0]),
        ("Mira Holt", [40.0, 186.0, 160.0, 206.0]),
        ("Lake Road", [40.0, 210.0, 170.0, 230.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(
        texts(&s),
        [
            ("Remarks", "The parcel arrived two days late and the box was opened before delivery."),
            // A short line does not run on: the next line is not part of its value.
            ("Sender", "Mira Holt"),
        ]
    );
    let remarks = &s.pairs[0].value;
    assert_eq!(remarks.line_ids, [1, 2]);
    assert_eq!(remarks.points, [[40.0, 66.0], [600.0, 66.0], [600.0, 110.0], [40.0, 110.0]]);
}

#[test]
fn a_list_hung_under_a_colon_label_gives_one_pair_per_entry_but_a_field_at_its_edge_is_none() {
    let p = page(&[
        ("Copies to:", [40.0, 40.0, 150.0, 60.0]),
        ("Ann Lee", [70.0, 64.0, 160.0, 84.0]),
        ("Bo Park", [240.0, 64.0, 330.0, 84.0]),
        ("Cy Diaz", [70.0, 88.0, 160.0, 108.0]),
        ("Packing:", [40.0, 300.0, 130.0, 320.0]),
        ("Material", [40.0, 326.0, 140.0, 346.0]),
        ("Paper", [250.0, 326.0, 320.0, 346.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(texts(&s), [("Copies to", "Ann Lee"), ("Copies to", "Bo Park"), ("Copies to", "Cy Diaz")]);
}

#[test]
fn a_label_takes_no_value_from_under_the_next_field() {
    // `NET` stands between `Cost` and the figure: the figure is `NET`'s.
    let p = page(&[
        ("Cost", [400.0, 40.0, 470.0, 60.0]),
        ("NET", [400.0, 61.0, 450.0, 81.0]),
        ("GROSS", [500.0, 61.0, 570.0, 81.0]),
        ("80", [405.0, 82.0, 440.0, 102.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(texts(&s), [("NET", "80")]);
}

#[test]
fn a_label_in_capitals_pairs_with_a_line_in_ordinary_case_but_not_with_a_label_in_its_style() {
    let p = page(&[
        ("SHIP TO", [40.0, 40.0, 140.0, 60.0]),
        ("Lake Side Depot", [40.0, 66.0, 240.0, 86.0]),
        ("Cost Reduction", [40.0, 200.0, 220.0, 220.0]),
        ("Quality Improvement", [400.0, 200.0, 640.0, 220.0]),
        ("MUSIC VAN", [40.0, 300.0, 160.0, 320.0]),
        ("RACING CAR", [400.0, 300.0, 540.0, 320.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(texts(&s), [("SHIP TO", "Lake Side Depot")]);
}

#[test]
fn stacked_titles_and_the_first_words_of_a_paragraph_line_are_no_labels() {
    let p = page(&[
        ("CONFIDENTIAL", [400.0, 20.0, 560.0, 40.0]),
        ("NORTHERN TIMBER AND PAPER SUPPLY COMPANY", [240.0, 46.0, 760.0, 66.0]),
        (
            "Please tell us whether the delivery address has changed since your last order and",
            [40.0, 200.0, 900.0, 220.0],
        ),
        ("mark it", [40.0, 222.0, 120.0, 242.0]),
        ("so that the new address can be printed on the next invoice.", [160.0, 222.0, 780.0, 242.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(texts(&s), Vec::<(&str, &str)>::new());
}

#[test]
fn a_cell_whose_box_covers_the_next_row_spans_it_and_a_line_across_two_columns_spans_them() {
    // A price list whose group name is one box two rows tall (2.4 line heights), and a note
    // under the items set across the item and price columns.
    let p = page(&[
        ("Group", [20.0, 80.0, 120.0, 100.0]),
        ("Item", [200.0, 80.0, 300.0, 100.0]),
        ("Price", [400.0, 80.0, 480.0, 100.0]),
        ("Fruit", [20.0, 108.0, 120.0, 156.0]),
        ("Apple", [200.0, 108.0, 290.0, 128.0]),
        ("2.00", [420.0, 108.0, 480.0, 128.0]),
        ("Pear", [200.0, 136.0, 280.0, 156.0]),
        ("1.50", [420.0, 136.0, 480.0, 156.0]),
        ("Bread", [20.0, 164.0, 120.0, 184.0]),
        ("Rye loaf", [200.0, 164.0, 310.0, 184.0]),
        ("3.00", [420.0, 164.0, 480.0, 184.0]),
        ("Note", [20.0, 192.0, 100.0, 212.0]),
        ("Prices include the deposit", [205.0, 192.0, 475.0, 212.0]),
    ]);
    let s = analyze(&p);
    every_line_once(&p, &s);
    assert_eq!(s.tables.len(), 1, "{:?}", reading(&p, &s));
    let t = &s.tables[0];
    assert_eq!((t.row_count, t.col_count), (5, 3));
    let cell = |text: &str| t.cells.iter().find(|c| c.text == text).unwrap();
    let fruit = cell("Fruit");
    assert_eq!((fruit.row, fruit.col, fruit.row_span, fruit.col_span), (1, 0, 2, 1));
    // The row it covers has no cell of its own in that column, empty or not.
    assert!(!t.cells.iter().any(|c| c.row == 2 && c.col == 0));
    assert_eq!(t.cells.iter().filter(|c| c.row == 2).count(), 2);
    let bread = cell("Bread");
    assert_eq!((bread.row, bread.row_span), (3, 1), "a box one row tall spans one row");
    let note = cell("Prices include the deposit");
    assert_eq!((note.row, note.col, note.row_span, note.col_span), (4, 1, 1, 2));
    // Cells row by row, each row left to right.
    let order: Vec<(u32, u32)> = t.cells.iter().map(|c| (c.row, c.col)).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
}

#[test]
fn a_name_with_initials_under_a_colon_less_label_is_its_value() {
    let p = page(&[
        ("Checked by", [40.0, 40.0, 160.0, 60.0]),
        ("K. T. Brandt", [60.0, 64.0, 180.0, 84.0]),
        ("Packed by", [40.0, 140.0, 150.0, 160.0]),
        ("Night Shift", [40.0, 164.0, 160.0, 184.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(texts(&s), [("Checked by", "K. T. Brandt")]);
    assert!(pairs::person_name("R.J. Oduya") && pairs::person_name("A. Lindqvist"));
    assert!(!pairs::person_name("Night Shift") && !pairs::person_name("N. C.") && !pairs::person_name("No. Lines"));
}

#[test]
fn a_caption_in_small_print_names_the_larger_line_under_it_and_nothing_further_down() {
    // A form's boxes: `CONSIGNEE` printed small in the corner, the typed value under it with a
    // field of its own to its right; a small `REMARKS` caption at the right of a wide line.
    let p = page(&[
        ("CONSIGNEE", [42.0, 40.0, 130.0, 50.0]),
        ("Harbour Supply Stores", [40.0, 48.0, 300.0, 72.0]),
        ("Dock Office", [420.0, 50.0, 540.0, 70.0]),
        ("Pier 9, Eastgate 4410", [40.0, 80.0, 300.0, 100.0]),
        ("Body text runs along the whole width of the page here", [40.0, 200.0, 900.0, 220.0]),
        ("REMARKS", [820.0, 180.0, 890.0, 190.0]),
        ("Another line of body text under the first one here", [40.0, 226.0, 900.0, 246.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(texts(&s), [("CONSIGNEE", "Harbour Supply Stores")]);
}

#[test]
fn an_aside_in_parentheses_is_no_value_of_a_colon_less_label() {
    let p = page(&[
        ("Annual Budget", [40.0, 40.0, 200.0, 60.0]),
        ("(see page 3 overleaf)", [400.0, 40.0, 560.0, 60.0]),
        ("Phone", [40.0, 100.0, 120.0, 120.0]),
        ("(416) 555-0199", [300.0, 100.0, 480.0, 120.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(texts(&s), [("Phone", "(416) 555-0199")]);
}

#[test]
fn a_heading_set_off_above_its_column_takes_its_figures_and_the_label_beside_the_first_does_not() {
    // `QTY` stands 1.4 line heights over its first figure (a rule and its space under a heading
    // row); `Total` beside that figure is in another column.
    let p = page(&[
        ("QTY", [400.0, 40.0, 450.0, 60.0]),
        ("Total", [300.0, 88.0, 360.0, 108.0]),
        ("12", [405.0, 88.0, 440.0, 108.0]),
        ("7", [410.0, 114.0, 440.0, 134.0]),
        ("Weight", [40.0, 300.0, 140.0, 320.0]),
        ("25", [45.0, 348.0, 80.0, 368.0]),
    ]);
    let s = analyze(&p);
    // `Weight` is no heading of a column: a lone figure 1.4 heights under it is not its value.
    assert_eq!(texts(&s), [("QTY", "12"), ("QTY", "7")]);
}

#[test]
fn an_abbreviated_caption_under_a_short_blank_takes_the_figure_over_it() {
    let p = page(&[
        ("Expiry", [40.0, 40.0, 120.0, 60.0]),
        ("04", [200.0, 40.0, 230.0, 60.0]),
        ("27", [300.0, 40.0, 330.0, 60.0]),
        ("Mo.", [198.0, 62.0, 232.0, 80.0]),
        ("Yr.", [298.0, 62.0, 330.0, 80.0]),
        ("Ref.", [500.0, 62.0, 540.0, 80.0]),
    ]);
    let s = analyze(&p);
    // `04` is already the value of `Expiry` beside it (a line is the value of one pair); `Ref.`
    // has no figure over it.
    assert_eq!(texts(&s), [("Expiry", "04"), ("Yr.", "27")]);
}

#[test]
fn a_tick_typed_before_an_option_is_the_option_s_value() {
    let p = page(&[
        ("Shipment is x Insured", [40.0, 40.0, 300.0, 60.0]),
        ("Malcolm X", [40.0, 100.0, 160.0, 120.0]),
        ("The X axis shows the months of the year in order", [40.0, 160.0, 600.0, 180.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(texts(&s), [("Insured", "x")]);
    let tick = &s.pairs[0];
    // The mark and the option are placed by character count in the line's box.
    assert!(tick.value.points[0][0] > 150.0 && tick.value.points[1][0] <= tick.key.points[0][0] + 0.01);
    assert_eq!(pairs::ticked_option("This Project is X Proposed"), Some((16, 18)));
}

#[test]
fn a_heading_over_a_table_column_takes_its_figures_past_the_row_labels_beside_them() {
    // The row labels are cells of a table (they give no pairs of their own), so the figures
    // down the column are the heading's.
    let p = page(&[
        ("AMOUNT", [400.0, 40.0, 480.0, 60.0]),
        ("Rent", [40.0, 66.0, 120.0, 86.0]),
        ("120", [410.0, 66.0, 470.0, 86.0]),
        ("Power", [40.0, 92.0, 130.0, 112.0]),
        ("75", [420.0, 92.0, 470.0, 112.0]),
        ("Water", [40.0, 118.0, 130.0, 138.0]),
        ("310", [410.0, 118.0, 470.0, 138.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(s.tables.len(), 1);
    assert_eq!(texts(&s), [("AMOUNT", "120"), ("AMOUNT", "75"), ("AMOUNT", "310")]);
}

#[test]
fn a_line_reaching_back_over_a_label_is_not_its_value_beside_it() {
    // The title's box sits half a line higher and starts over `Subject`: it is another line of
    // the form, not what was filled in after the label.
    let p = page(&[
        ("Subject", [40.0, 100.0, 110.0, 120.0]),
        ("Stock count of the north depot", [80.0, 88.0, 400.0, 112.0]),
        ("Ref", [40.0, 200.0, 90.0, 220.0]),
        ("A-2024-7", [200.0, 200.0, 320.0, 220.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(texts(&s), [("Ref", "A-2024-7")]);
}

#[test]
fn a_field_name_without_a_colon_takes_the_words_typed_beside_or_under_it_but_not_another_field_name() {
    // A fax cover sheet (`form_fax.png` of tests/fixtures/structure): field names in a column,
    // what was typed at a tab stop; then two field names side by side over their values.
    let p = page(&[
        ("To", [60.0, 130.0, 88.0, 150.0]),
        ("Mary Lane", [320.0, 131.0, 440.0, 151.0]),
        ("Company", [60.0, 178.0, 160.0, 198.0]),
        ("Harbor Paper Co.", [320.0, 179.0, 520.0, 199.0]),
        ("From", [60.0, 226.0, 118.0, 246.0]),
        ("Dan Cole", [320.0, 227.0, 420.0, 247.0]),
        ("Subject", [60.0, 274.0, 150.0, 294.0]),
        ("Spring price list", [320.0, 275.0, 540.0, 295.0]),
        ("Date Requested", [60.0, 400.0, 240.0, 420.0]),
        ("Date Returned", [520.0, 400.0, 690.0, 420.0]),
        ("NAME OF APPLICANT", [60.0, 500.0, 280.0, 520.0]),
        ("Karen Holt", [60.0, 526.0, 190.0, 546.0]),
        ("SUPERVISOR", [520.0, 500.0, 660.0, 520.0]),
        ("Phone number", [520.0, 526.0, 680.0, 546.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(
        texts(&s),
        [
            ("To", "Mary Lane"),
            ("Company", "Harbor Paper Co."),
            ("From", "Dan Cole"),
            ("Subject", "Spring price list"),
            ("NAME OF APPLICANT", "Karen Holt"),
        ]
    );
    for s in ["Date", "Fax No.", "PHONE NUMBER", "Client(s)", "Name of applicant", "Date Requested", "Amount due"] {
        assert!(text::field_name(s), "{s}");
    }
    for s in ["Mary Lane", "Cost Reduction", "Spring price list", "Quality Control", "Room 12"] {
        assert!(!text::field_name(s), "{s}");
    }
}

#[test]
fn a_column_of_field_names_gives_each_its_value_at_the_tab_stop_but_a_grid_of_options_gives_none() {
    // `Courier` is in no vocabulary of field names, `Swift Express` looks like a label: the
    // fields above and below it in the same column say what they are.
    let p = page(&[
        ("To", [60.0, 34.0, 88.0, 54.0]),
        ("Mary Lane", [320.0, 35.0, 440.0, 55.0]),
        ("Company", [60.0, 82.0, 160.0, 102.0]),
        ("Harbor Paper Co.", [320.0, 83.0, 520.0, 103.0]),
        ("Fax No.", [60.0, 130.0, 150.0, 150.0]),
        ("(212) 555-0142", [320.0, 131.0, 500.0, 151.0]),
        ("Pages", [60.0, 178.0, 130.0, 198.0]),
        ("3", [320.0, 179.0, 335.0, 199.0]),
        ("Courier", [60.0, 226.0, 150.0, 246.0]),
        ("Swift Express", [320.0, 227.0, 490.0, 247.0]),
        ("Subject", [60.0, 274.0, 150.0, 294.0]),
        ("Spring price list", [320.0, 275.0, 540.0, 295.0]),
        // Options ticked in a grid: nothing in it is a field and its value.
        ("Cost Reduction", [60.0, 500.0, 240.0, 520.0]),
        ("Quality Improvement", [320.0, 500.0, 560.0, 520.0]),
        ("New Product", [60.0, 548.0, 200.0, 568.0]),
        ("Plant Safety", [320.0, 548.0, 470.0, 568.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(
        texts(&s),
        [
            ("To", "Mary Lane"),
            ("Company", "Harbor Paper Co."),
            ("Fax No.", "(212) 555-0142"),
            ("Pages", "3"),
            ("Courier", "Swift Express"),
            ("Subject", "Spring price list"),
        ]
    );
}

#[test]
fn a_rendered_fax_cover_sheet_gives_every_field_though_no_label_has_a_colon() {
    // The OCR of tests/fixtures/structure/form_fax.png: field names in a column, what was typed
    // at a tab stop beside them.
    let p = page(&[
        ("FACSIMILE TRANSMITTAL", [305.0, 39.0, 695.0, 75.0]),
        ("To", [58.0, 130.0, 86.0, 154.0]),
        ("Mary Lane", [317.0, 129.0, 442.2, 158.0]),
        ("Company", [57.5, 179.0, 156.5, 206.3]),
        ("Harbor Paper co.", [318.0, 176.0, 528.0, 204.8]),
        ("Fax No.", [58.0, 226.0, 138.0, 250.0]),
        ("(212) 555-0142", [317.9, 224.4, 508.1, 252.3]),
        ("From", [58.0, 274.0, 114.0, 298.0]),
        ("Dan Cole", [318.0, 272.0, 428.0, 298.0]),
        ("Date", [58.0, 322.0, 110.0, 346.0]),
        ("March 3, 1994", [318.0, 322.0, 494.0, 348.0]),
        ("Pages", [57.5, 370.7, 126.5, 398.3]),
        ("3", [319.0, 371.0, 335.0, 391.0]),
        ("Courier", [58.0, 418.0, 136.0, 442.0]),
        ("Swift Express", [315.4, 414.5, 494.6, 446.1]),
        ("Subject", [58.0, 466.0, 138.0, 494.0]),
        ("Spring price list", [317.8, 462.0, 546.2, 494.9]),
        ("Please find attached the price list for the spring season. Call us if", [58.0, 567.2, 974.0, 597.0]),
        ("any page is missing or cannot be read.", [58.0, 603.0, 560.0, 634.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(
        texts(&s),
        [
            ("To", "Mary Lane"),
            ("Company", "Harbor Paper co."),
            ("Fax No.", "(212) 555-0142"),
            ("From", "Dan Cole"),
            ("Date", "March 3, 1994"),
            ("Pages", "3"),
            ("Courier", "Swift Express"),
            ("Subject", "Spring price list"),
        ]
    );
}

#[test]
fn a_line_under_its_caption_names_nothing_and_field_names_side_by_side_take_the_lines_under_them() {
    // The OCR of tests/fixtures/structure/form_boxes.png: captions in small capitals over the
    // typed values, two boxes to a row; `ITEM` and `LOCATION` at the text's size over theirs.
    let p = page(&[
        ("EQUIPMENT LOAN REQUEST", [297.0, 29.0, 705.0, 67.0]),
        ("NAME OF APPLICANT", [45.0, 95.0, 205.0, 113.0]),
        ("DEPARTMENT", [525.0, 95.0, 633.0, 113.0]),
        ("Karen Holt", [49.9, 119.9, 186.1, 147.1]),
        ("Quality Control", [529.8, 118.1, 732.2, 149.4]),
        ("SUPERVISOR", [45.0, 165.0, 149.0, 183.0]),
        ("PHONE NUMBER", [525.0, 165.0, 653.0, 183.0]),
        ("Tom Reed", [50.0, 192.0, 160.0, 216.0]),
        ("(919) 555-0117", [532.0, 190.0, 718.0, 218.0]),
        ("Date Requested", [57.7, 277.4, 222.3, 309.4]),
        ("Date Returned", [518.0, 280.0, 666.0, 304.0]),
        ("June 4, 1995", [58.0, 316.0, 220.0, 342.0]),
        ("June 9,", [518.0, 316.0, 608.0, 340.0]),
        ("1995", [624.0, 316.0, 680.0, 340.0]),
        ("ITEM", [56.0, 390.0, 114.0, 414.0]),
        ("LOCATION", [518.0, 390.0, 634.0, 414.0]),
        ("slide projector", [55.7, 419.3, 260.3, 453.2]),
        ("Room 214", [518.0, 424.0, 628.0, 448.0]),
        ("Purpose", [57.5, 500.7, 146.3, 528.3]),
        ("Training", [331.2, 498.7, 418.8, 526.5]),
        ("Meeting", [553.4, 499.0, 638.8, 526.5]),
        ("Approved by", [58.0, 580.0, 186.0, 608.0]),
        ("P. Grant", [298.0, 580.0, 406.0, 604.0]),
    ]);
    let s = analyze(&p);
    let pairs = texts(&s);
    for pair in [
        ("NAME OF APPLICANT", "Karen Holt"),
        ("DEPARTMENT", "Quality Control"),
        ("SUPERVISOR", "Tom Reed"),
        ("PHONE NUMBER", "(919) 555-0117"),
        ("Date Requested", "June 4, 1995"),
        ("ITEM", "slide projector"),
        ("LOCATION", "Room 214"),
        ("Approved by", "P. Grant"),
    ] {
        assert!(pairs.contains(&pair), "{pair:?} in {pairs:?}");
    }
    assert!(pairs.iter().all(|(k, _)| !["Tom Reed", "Room", "June"].contains(k)), "{pairs:?}");
}

#[test]
fn fields_side_by_side_with_figures_are_no_table_and_a_person_s_name_is_no_label() {
    // The OCR of tests/fixtures/structure/form_grid.png: two fields to a row (`Division
    // Research   Phone   X2231`), a grid of items, a signature and a date under their names.
    let p = page(&[
        ("PURCHASE REQUISITION", [320.8, 26.1, 679.2, 68.1]),
        ("Requested by", [58.0, 100.0, 198.0, 128.0]),
        ("Alan Price", [317.8, 97.5, 454.2, 125.4]),
        ("Account", [538.0, 100.0, 624.0, 124.0]),
        ("4410", [698.0, 100.0, 756.0, 124.0]),
        ("Division", [58.0, 148.0, 140.0, 172.0]),
        ("Research", [318.0, 148.0, 428.0, 172.0]),
        ("Phone", [538.0, 148.0, 606.0, 172.0]),
        ("X2231", [696.0, 148.0, 768.0, 172.0]),
        ("Ship to", [58.0, 210.0, 132.0, 236.0]),
        ("Building 7, North Campus", [58.0, 241.4, 380.3, 270.3]),
        ("ITEM", [56.0, 320.0, 110.0, 344.0]),
        ("QTY", [518.0, 320.0, 564.0, 346.0]),
        ("UNIT PRICE", [638.0, 320.0, 756.0, 344.0]),
        ("AMOUNT", [820.0, 320.0, 910.0, 344.0]),
        ("Filter paper", [57.4, 356.1, 220.6, 389.6]),
        ("12", [532.0, 360.0, 562.0, 384.0]),
        ("4.50", [704.0, 360.0, 762.0, 384.0]),
        ("54.00", [862.0, 360.0, 934.0, 384.0]),
        ("Glass beakers", [58.0, 398.0, 234.0, 424.0]),
        ("6", [547.0, 403.0, 561.0, 421.0]),
        ("11.20", [690.0, 400.0, 764.0, 424.0]),
        ("67.20", [862.0, 400.0, 934.0, 424.0]),
        ("Lab notebook", [57.9, 437.3, 222.1, 465.3]),
        ("4", [547.0, 443.0, 561.0, 459.0]),
        ("3.75", [704.0, 440.0, 762.0, 464.0]),
        ("15.00", [862.0, 440.0, 934.0, 464.0]),
        ("TOTAL", [636.0, 500.0, 708.0, 524.0]),
        ("136.20", [848.0, 500.0, 934.0, 524.0]),
        ("Signature", [58.0, 600.0, 158.0, 628.0]),
        ("Date", [538.0, 600.0, 590.0, 624.0]),
        ("A. Price", [57.8, 637.5, 168.2, 665.2]),
        ("11/02/93", [536.0, 638.0, 648.0, 664.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(s.tables.len(), 1, "the items, not the fields");
    assert_eq!(
        texts(&s),
        [
            ("Account", "4410"),
            ("Division", "Research"),
            ("Phone", "X2231"),
            ("Ship to", "Building 7, North Campus"),
            ("Signature", "A. Price"),
            ("Date", "11/02/93"),
        ]
    );
}

#[test]
fn a_row_of_headings_under_a_line_of_instructions_is_no_paragraph_s_end() {
    let p = page(&[
        ("Please list every store visited this week with its number", [40.0, 40.0, 700.0, 60.0]),
        ("STORE NAME", [40.0, 66.0, 180.0, 86.0]),
        ("STREET", [400.0, 66.0, 480.0, 86.0]),
        ("Kwik Mart", [40.0, 92.0, 160.0, 112.0]),
        ("Elm Street", [400.0, 92.0, 520.0, 112.0]),
        // A sentence's short last line, blank space beside it, is no label.
        ("The parcel arrived two days late and the box was opened", [40.0, 300.0, 700.0, 320.0]),
        ("at the depot", [40.0, 326.0, 180.0, 346.0]),
        ("Signed for by the driver on the next day", [40.0, 352.0, 540.0, 372.0]),
    ]);
    let s = analyze(&p);
    // `STREET`, blank space after it, is read as the instructions' last line: no pair.
    assert_eq!(texts(&s), [("STORE NAME", "Kwik Mart")]);
}

#[test]
fn a_firm_s_name_over_its_street_is_no_label_but_a_field_name_or_a_heading_is() {
    let p = page(&[
        ("Harbor Paper Co.", [40.0, 40.0, 240.0, 60.0]),
        ("12 Dock Road", [40.0, 66.0, 200.0, 86.0]),
        ("Boston, MA 02110", [40.0, 92.0, 240.0, 112.0]),
        ("Ngày sinh", [40.0, 200.0, 160.0, 220.0]),
        ("12/03/1990", [40.0, 226.0, 170.0, 246.0]),
        ("WEIGHT CLASS", [40.0, 300.0, 200.0, 320.0]),
        ("Heavy goods, over 3.5 t", [40.0, 326.0, 320.0, 346.0]),
    ]);
    let s = analyze(&p);
    assert_eq!(texts(&s), [("Ngày sinh", "12/03/1990"), ("WEIGHT CLASS", "Heavy goods, over 3.5 t")]);
    assert!(text::field_name("Ghi chú") && text::field_name("Số điện thoại") && !text::field_name("Cảm ơn quý khách"));
}
