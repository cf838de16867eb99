//! What the planner is given: the requester, the text and the attachments, already read into
//! memory by the caller (the planner never touches the filesystem).

/// A plain-language request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Who is asking (a UPN; "me", "my" and "I" mean this person).
    pub requester: String,
    /// What they typed.
    pub text: String,
    pub attachments: Vec<Attachment>,
}

/// A file attached to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The path as the requester gave it (an image's path becomes the `photo` parameter).
    pub path: String,
    pub content: AttachmentContent,
}

/// What an attachment holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentContent {
    /// Text: a list of people, one per line (or separated by commas or semicolons).
    Text(String),
    /// An image: a photo.
    Image,
    /// Anything else; ignored.
    Other,
}

impl Request {
    /// A request without attachments.
    pub fn new(requester: &str, text: &str) -> Request {
        Request {
            requester: requester.to_owned(),
            text: text.to_owned(),
            attachments: Vec::new(),
        }
    }
}

impl Attachment {
    /// Classifies a file from its path and bytes: JPEG, PNG, GIF, BMP and WebP images by their
    /// magic numbers; UTF-8 text; anything else is [`AttachmentContent::Other`].
    pub fn from_bytes(path: &str, bytes: &[u8]) -> Attachment {
        let content = if is_image(bytes) {
            AttachmentContent::Image
        } else {
            match std::str::from_utf8(bytes) {
                Ok(text) => AttachmentContent::Text(text.to_owned()),
                Err(_) => AttachmentContent::Other,
            }
        };
        Attachment {
            path: path.to_owned(),
            content,
        }
    }

    /// A text attachment.
    pub fn text(path: &str, text: &str) -> Attachment {
        Attachment {
            path: path.to_owned(),
            content: AttachmentContent::Text(text.to_owned()),
        }
    }

    /// An image attachment.
    pub fn image(path: &str) -> Attachment {
        Attachment {
            path: path.to_owned(),
            content: AttachmentContent::Image,
        }
    }
}

fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(b"GIF87a")
        || bytes.starts_with(b"GIF89a")
        || bytes.starts_with(b"BM")
        || (bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP")
}

/// The entries of a text attachment: one per line, or per comma or semicolon; bullets,
/// numbering and a header line (`upn`, `name`, `user`, `email`) dropped.
pub fn list_entries(text: &str) -> Vec<String> {
    let mut entries = Vec::new();
    for line in text.lines().take(5000) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let emails: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '\t' | '<' | '>'))
            .filter(|part| part.contains('@'))
            .collect();
        if !emails.is_empty() {
            entries.extend(emails.into_iter().map(str::to_owned));
            continue;
        }
        for part in line.split([',', ';', '\t']) {
            let part = part
                .trim()
                .trim_start_matches(|c: char| {
                    matches!(c, '-' | '*' | '\u{2022}')
                        || c.is_ascii_digit()
                        || c == '.'
                        || c == ')'
                })
                .trim();
            let lower = part.to_lowercase();
            if part.is_empty()
                || matches!(
                    lower.as_str(),
                    "upn" | "name" | "user" | "users" | "email" | "mail" | "userprincipalname"
                )
            {
                continue;
            }
            entries.push(part.to_owned());
        }
    }
    entries
}
