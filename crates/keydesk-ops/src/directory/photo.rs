//! `update_photo`: checks that the bytes really are a JPEG or PNG (by their magic bytes and
//! structure, not the file name), of a sensible size, uploads them to `/users/{id}/photo/$value`
//! and reads the photo back.
//!
//! Image decoding, resizing and cropping are out of scope: Graph stores what it is given.

use keydesk_graph::GraphRequest;
use keydesk_graph::odata::segment;
use keydesk_policy::Action;
use serde_json::{Value, json};

use crate::report::{Outcome, Report, StepStatus};
use crate::{Error, Mode, Ops, Result, resolve};

/// Graph refuses request bodies over 4 MB.
pub const MAX_PHOTO_BYTES: usize = 4 * 1024 * 1024;
/// Anything smaller cannot be a usable profile photo (an empty or truncated file).
pub const MIN_PHOTO_BYTES: usize = 128;

/// A recognised image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Image {
    content_type: &'static str,
    width: u32,
    height: u32,
}

/// Reads the image type and size from the header, and checks the file is not cut short.
fn inspect(bytes: &[u8]) -> std::result::Result<Image, String> {
    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    const PNG_END: &[u8] = b"IEND\xae\x42\x60\x82";
    if bytes.starts_with(PNG_SIGNATURE) {
        if bytes.len() < 33 || &bytes[12..16] != b"IHDR" {
            return Err("the PNG has no image header".into());
        }
        let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        let height = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        if width == 0 || height == 0 {
            return Err("the PNG has no pixels".into());
        }
        if !bytes.ends_with(PNG_END) {
            return Err("the PNG is truncated (no end marker)".into());
        }
        return Ok(Image {
            content_type: "image/png",
            width,
            height,
        });
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let tail = &bytes[bytes.len().saturating_sub(64)..];
        if !tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
            return Err("the JPEG is truncated (no end marker)".into());
        }
        let (width, height) = jpeg_size(bytes).ok_or("the JPEG has no frame header")?;
        return Ok(Image {
            content_type: "image/jpeg",
            width,
            height,
        });
    }
    let what = if bytes
        .iter()
        .take(512)
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        "text"
    } else {
        "an unrecognised format"
    };
    Err(format!("the file is {what}, not a JPEG or PNG image"))
}

/// Width and height from a JPEG's start-of-frame segment.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut index = 2;
    while index + 9 < bytes.len() {
        if bytes[index] != 0xFF {
            index += 1;
            continue;
        }
        let marker = bytes[index + 1];
        let length = usize::from(u16::from_be_bytes([bytes[index + 2], bytes[index + 3]]));
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            let height = u32::from(u16::from_be_bytes([bytes[index + 5], bytes[index + 6]]));
            let width = u32::from(u16::from_be_bytes([bytes[index + 7], bytes[index + 8]]));
            return (width > 0 && height > 0).then_some((width, height));
        }
        index += 2 + length;
    }
    None
}

/// The type the caller declared: a content type (`image/png`) or a file name (`me.jpg`).
fn declared_type(declared: &str) -> Option<String> {
    let declared = declared.trim().to_ascii_lowercase();
    if declared.is_empty() {
        return None;
    }
    if declared.contains('/') && !declared.contains('.') {
        return Some(declared);
    }
    let extension = declared.rsplit_once('.').map(|(_, e)| e)?;
    Some(match extension {
        "jpg" | "jpeg" | "jfif" => "image/jpeg".into(),
        "png" => "image/png".into(),
        other => format!(".{other}"),
    })
}

/// `update_photo`: sets a user's profile photo from JPEG or PNG bytes. `declared` is the content
/// type or file name the bytes came with; the bytes decide, and a mismatch is noted.
pub async fn update_photo(
    ops: &Ops,
    query: &str,
    bytes: Vec<u8>,
    declared: &str,
    mode: &Mode,
) -> Result<Report> {
    if bytes.len() < MIN_PHOTO_BYTES {
        return Err(Error::InvalidInput(format!(
            "the photo is {} bytes: too small to be a profile photo (empty or truncated file?)",
            bytes.len()
        )));
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(Error::InvalidInput(format!(
            "the photo is {:.1} MB; Graph accepts at most 4 MB (resize or recompress it)",
            bytes.len() as f64 / 1_048_576.0
        )));
    }
    let image = inspect(&bytes)
        .map_err(|why| Error::InvalidInput(format!("{why}; use a JPEG or PNG photo")))?;
    let user = resolve::user(&ops.graph, query).await?;
    let upn = resolve::upn(&user);
    let mut report = Report::new("update_photo", Some(&upn));
    if let Some(declared) = declared_type(declared).filter(|d| d != image.content_type) {
        report.note(format!(
            "The file was declared as {declared}, but its content is {}; it is uploaded as {}.",
            image.content_type, image.content_type
        ));
    }
    let size = bytes.len();
    report.details = json!({
        "contentType": image.content_type, "width": image.width, "height": image.height, "bytes": size,
    });
    let plan = format!(
        "upload a {}×{} {} ({} KB) as {upn}'s photo",
        image.width,
        image.height,
        image.content_type,
        size.div_ceil(1024)
    );
    if mode.plan_only(&[Action::UpdatePhoto], report.target.as_deref())? {
        report.step("upload", plan.clone(), StepStatus::Planned);
        report.outcome = Outcome::Planned;
        report.summary = format!("Would {plan}.");
        return Ok(report);
    }
    ops.graph
        .put_photo(&user.id, image.content_type, bytes)
        .await?;
    report.step("upload", plan, StepStatus::Done);

    let photo = format!("users/{}/photo", segment(&user.id));
    let metadata: Value = ops.graph.get(&photo).await?;
    let stored = ops
        .graph
        .send(GraphRequest::get(&format!("{photo}/$value")))
        .await?;
    let media_type = metadata
        .get("@odata.mediaContentType")
        .and_then(Value::as_str)
        .unwrap_or("unknown type");
    report.verify(format!(
        "the photo reads back ({media_type}, {}×{})",
        metadata
            .get("width")
            .and_then(Value::as_u64)
            .unwrap_or_default(),
        metadata
            .get("height")
            .and_then(Value::as_u64)
            .unwrap_or_default(),
    ));
    if stored.body.len() == size {
        report.verify(format!("the stored photo is {size} bytes, as uploaded"));
    } else {
        report.note(format!(
            "Graph stores the photo as {} bytes (it may re-encode photos).",
            stored.body.len()
        ));
    }
    report.outcome = Outcome::Done;
    report.summary = format!("Updated {upn}'s photo.");
    Ok(report)
}
