//! A minimal HTTP/1.1 client over one keep-alive connection (loopback load generation; no
//! dependency, no TLS).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        Conn { addr, stream: None, buf: Vec::with_capacity(4096) }
    }

    fn stream(&mut self) -> std::io::Result<&mut TcpStream> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr)?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(60)))?;
            self.stream = Some(stream);
            self.buf.clear();
        }
        self.stream.as_mut().ok_or_else(|| std::io::Error::other("no connection"))
    }

    /// POST `body` to `path` with extra headers; the response status. One retry on a stale
    /// keep-alive connection.
    pub fn post(&mut self, path: &str, headers: &[(&str, String)], body: &[u8]) -> std::io::Result<u16> {
        match self.try_post(path, headers, body) {
            Ok(status) => Ok(status),
            Err(_) if self.stream.is_some() => {
                self.stream = None;
                self.try_post(path, headers, body)
            }
            Err(e) => Err(e),
        }
    }

    fn try_post(&mut self, path: &str, headers: &[(&str, String)], body: &[u8]) -> std::io::Result<u16> {
        let host = self.addr.to_string();
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(name);
            request.push_str(": ");
            request.push_str(value);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        let stream = self.stream()?;
        stream.write_all(&bytes)?;
        let result = self.read_response();
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 8192];
        let stream = self.stream.as_mut().ok_or_else(|| std::io::Error::other("no connection"))?;
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    fn read_response(&mut self) -> std::io::Result<u16> {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            self.fill()?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_ascii_lowercase();
        let status: u16 = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("bad status line"))?;
        let header = |name: &str| {
            head.lines().skip(1).find_map(|l| {
                let (n, v) = l.split_once(':')?;
                (n.trim() == name).then(|| v.trim().to_string())
            })
        };
        let close = header("connection").as_deref() == Some("close");
        self.buf.drain(..head_end + 4);
        if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
            while self.buf.len() < len {
                self.fill()?;
            }
            self.buf.drain(..len);
        } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            loop {
                let line_end = loop {
                    if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                        break i;
                    }
                    self.fill()?;
                };
                let size_text = String::from_utf8_lossy(&self.buf[..line_end]).to_string();
                let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| std::io::Error::other("bad chunk size"))?;
                while self.buf.len() < line_end + 2 + size + 2 {
                    self.fill()?;
                }
                self.buf.drain(..line_end + 2 + size + 2);
                if size == 0 {
                    break;
                }
            }
        } else if status != 204 && status != 304 {
            // No length: the body runs to the end of the connection.
            self.stream = None;
            return Ok(status);
        }
        if close {
            self.stream = None;
        }
        Ok(status)
    }
}
