//! Requests larger than any server should read: a body or a header streamed piece by piece on
//! a raw connection while the answer is read, so a server that answers early and stops reading
//! is told apart from one that reads everything first.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use super::Reply;

/// What a flood got: the answer, if any came before the connection closed, and how many
/// bytes the server let us send.
pub struct Flood {
    pub reply: Option<Reply>,
    pub sent: usize,
}

/// Connects to `127.0.0.1:port`, writes `head`, then `piece` until `total` bytes are sent or
/// the server stops reading, then `tail`; meanwhile reads the answer.
pub fn flood(port: u16, head: &str, piece: &[u8], total: usize, tail: &[u8]) -> Flood {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let head = head.as_bytes().to_vec();
    let piece = piece.to_vec();
    let tail = tail.to_vec();
    let writing = std::thread::spawn(move || {
        let mut sent = 0;
        if writer.write_all(&head).is_err() {
            return sent;
        }
        sent += head.len();
        while sent < total {
            if writer.write_all(&piece).is_err() {
                return sent;
            }
            sent += piece.len();
        }
        if writer.write_all(&tail).is_ok() {
            sent += tail.len();
        }
        sent
    });
    let reply = read_reply(&stream);
    // Unblocks the writer if the server neither reads nor closes.
    let _ = stream.shutdown(Shutdown::Both);
    let sent = writing.join().unwrap();
    Flood { reply, sent }
}

/// Chunked body framing for `data`: one chunk.
pub fn chunk(data: &[u8]) -> Vec<u8> {
    let mut framed = format!("{:x}\r\n", data.len()).into_bytes();
    framed.extend_from_slice(data);
    framed.extend_from_slice(b"\r\n");
    framed
}

/// One HTTP/1.1 answer from `stream`: `None` if the connection closed (or failed) first.
fn read_reply(mut stream: &TcpStream) -> Option<Reply> {
    let mut received = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        if let Some(reply) = parse(&received) {
            return Some(reply);
        }
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return parse_closed(&received),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Where the body starts, and the answer without its body, once `bytes` holds the whole head.
fn parse_head(bytes: &[u8]) -> Option<(usize, Reply)> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let reply = Reply {
        status,
        headers,
        body: Vec::new(),
    };
    Some((end + 4, reply))
}

/// The answer in `bytes` once it is complete (headers, and a body of `Content-Length`).
fn parse(bytes: &[u8]) -> Option<Reply> {
    let (start, mut reply) = parse_head(bytes)?;
    let length: usize = reply.header("content-length").parse().ok()?;
    reply.body = bytes.get(start..start + length)?.to_vec();
    Some(reply)
}

/// The answer in `bytes` once the connection closed: complete, or read to the end.
fn parse_closed(bytes: &[u8]) -> Option<Reply> {
    let (start, mut reply) = parse_head(bytes)?;
    parse(bytes).or_else(|| {
        reply.body = bytes[start..].to_vec();
        Some(reply)
    })
}
