//! File segments (`evbuffer_file_segment_new`): a range of a file, mapped
//! read-only or read into memory the first time a buffer needs its bytes.

use std::io;
use std::os::unix::io::RawFd;
use std::sync::OnceLock;

pub const FS_CLOSE_ON_FREE: u32 = 0x01;
pub const FS_DISABLE_MMAP: u32 = 0x02;
pub const FS_DISABLE_SENDFILE: u32 = 0x04;
pub const FS_DISABLE_LOCKING: u32 = 0x08;

pub struct FileSegment {
    fd: RawFd,
    offset: u64,
    length: usize,
    flags: u32,
    contents: OnceLock<Contents>,
}

enum Contents {
    /// `len` bytes mapped at `base`; the segment starts `skip` bytes in
    /// (mappings start on a page).
    Mapped {
        base: usize,
        len: usize,
        skip: usize,
    },
    Read(Box<[u8]>),
}

impl FileSegment {
    /// `length` -1 means up to the end of the file. Bytes are loaded now
    /// only with [`FS_DISABLE_SENDFILE`], as libevent does; otherwise when
    /// first added to a buffer.
    pub fn new(fd: RawFd, offset: i64, length: i64, flags: u32) -> io::Result<FileSegment> {
        let length = if length == -1 {
            fstat_size(fd)? - offset.max(0)
        } else {
            length
        };
        if offset < 0 || length < 0 {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let seg = FileSegment {
            fd,
            offset: offset as u64,
            length: length as usize,
            flags,
            contents: OnceLock::new(),
        };
        if flags & FS_DISABLE_SENDFILE != 0 {
            seg.materialize()?;
        }
        Ok(seg)
    }

    pub fn len(&self) -> usize {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// Maps or reads the segment's bytes, once.
    pub fn materialize(&self) -> io::Result<()> {
        if self.contents.get().is_some() {
            return Ok(());
        }
        let c = self.load()?;
        // A racing thread may have loaded it first; either copy will do.
        let _ = self.contents.set(c);
        Ok(())
    }

    /// The bytes (empty until [`FileSegment::materialize`] succeeded).
    pub fn bytes(&self) -> &[u8] {
        match self.contents.get() {
            None => &[],
            Some(Contents::Read(b)) => b,
            Some(&Contents::Mapped { base, skip, .. }) => {
                // SAFETY: the mapping covers `skip + length` readable bytes
                // (the file was checked to be that long) and lives until
                // this segment is dropped.
                unsafe { std::slice::from_raw_parts((base + skip) as *const u8, self.length) }
            }
        }
    }

    fn load(&self) -> io::Result<Contents> {
        let end = self.offset + self.length as u64;
        // A mapping past the end of the file faults when read: map only
        // what the file holds now.
        let whole = fstat_size(self.fd).is_ok_and(|size| size as u64 >= end);
        if self.flags & FS_DISABLE_MMAP == 0 && whole && self.length > 0 {
            // SAFETY: sysconf has no preconditions.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
            let skip = (self.offset % page) as usize;
            let len = self.length + skip;
            // SAFETY: a fresh private read-only mapping of the program's fd;
            // failure is checked below.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE,
                    self.fd,
                    (self.offset - skip as u64) as libc::off_t,
                )
            };
            if p != libc::MAP_FAILED {
                return Ok(Contents::Mapped {
                    base: p as usize,
                    len,
                    skip,
                });
            }
        }
        self.read_in()
    }

    /// Reads the range with `pread`, leaving the file offset alone.
    fn read_in(&self) -> io::Result<Contents> {
        let mut mem = vec![0u8; self.length].into_boxed_slice();
        let mut done = 0;
        while done < self.length {
            let rest = &mut mem[done..];
            // SAFETY: `rest` is writable for its length.
            let n = unsafe {
                libc::pread(
                    self.fd,
                    rest.as_mut_ptr().cast(),
                    rest.len(),
                    (self.offset + done as u64) as libc::off_t,
                )
            };
            match n {
                n if n > 0 => done += n as usize,
                0 => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
                _ => {
                    let e = io::Error::last_os_error();
                    if e.kind() != io::ErrorKind::Interrupted {
                        return Err(e);
                    }
                }
            }
        }
        Ok(Contents::Read(mem))
    }
}

fn fstat_size(fd: RawFd) -> io::Result<i64> {
    // SAFETY: fstat writes the stat struct it is given.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above; `fd` is only read.
    if unsafe { libc::fstat(fd, &mut st) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st.st_size)
}

impl Drop for FileSegment {
    fn drop(&mut self) {
        if let Some(&Contents::Mapped { base, len, .. }) = self.contents.get() {
            // SAFETY: the mapping this segment made, unmapped once.
            unsafe { libc::munmap(base as *mut libc::c_void, len) };
        }
        if self.flags & FS_CLOSE_ON_FREE != 0 && self.fd >= 0 {
            // SAFETY: the segment owns the fd when asked to close it.
            unsafe { libc::close(self.fd) };
        }
    }
}
