//! Firmware update into the user partition that is not running, the way the
//! SDK's FOTA does it (upgrade.h): the image is written as it arrives
//! (`spi_flash_erase_sector` before each new sector, `spi_flash_write` in
//! aligned words, nothing buffered on the heap), its SHA-256 is computed over
//! what reads back from flash and compared with the one the program
//! supplied, and only then is the SDK's upgrade flag set to
//! `UPGRADE_FLAG_FINISH`, so that `system_upgrade_reboot` boots the new
//! image. Anything short of that (a truncated download, a wrong hash, a reset
//! half-way) leaves the flag unset and the running image the one that boots.

use sha2::{Digest, Sha256};
use spin::Mutex;

use crate::error::{code, Failure};
use crate::fail;
use crate::platform;

/// Flash sector size.
pub const SECTOR: u32 = 4096;

/// The SDK's upgrade flag values (upgrade.h).
const UPGRADE_FLAG_IDLE: u8 = 0;
const UPGRADE_FLAG_START: u8 = 1;
const UPGRADE_FLAG_FINISH: u8 = 2;

/// Bytes moved through the stack per flash call (words: `spi_flash_*` want
/// 4-byte aligned buffers).
const CHUNK_WORDS: usize = 64;

/// Where the user partitions of a flash map lie: (user1, user2, the largest
/// image either holds), per the SDK's flash maps (`enum flash_size_map`);
/// `None` for the maps without FOTA (a single image).
pub fn partitions(flash_map: i32) -> Option<(u32, u32, u32)> {
    match flash_map {
        // 512 KB + 512 KB: user2 at 0x81000; on a 1 MB chip the last 16 KB
        // hold the SDK's parameters.
        2..=4 => Some((0x1000, 0x81000, 0x7B000)),
        // 1024 KB + 1024 KB on a 2 MB chip (parameters in the last 16 KB).
        5 => Some((0x1000, 0x101000, 0xFB000)),
        // 1024 + 1024 on 4, 8 and 16 MB chips, and 2048 + 2048 (whose images
        // are still mapped from the first megabyte of each half).
        6..=9 => Some((0x1000, 0x101000, 0xFF000)),
        _ => None,
    }
}

/// An update in progress.
struct Writer {
    /// Flash address of the inactive partition.
    base: u32,
    /// The image's announced size.
    size: u32,
    /// Bytes accepted so far (written, or waiting in `tail`).
    received: u32,
    /// The last `received % 4` bytes, not yet written (one word's worth).
    tail: [u8; 4],
    expected: [u8; 32],
}

static OTA: Mutex<Option<Writer>> = Mutex::new(None);

/// Start an update of `size` bytes whose SHA-256 is `expected`, into the user
/// partition that is not running. Any update in progress is abandoned.
pub fn begin(size: u32, expected: &[u8; 32]) -> Result<u32, Failure> {
    abort();
    if size == 0 {
        return Err(fail!(code::SSL_BAD_INPUT_DATA, "OTA: image size is 0"));
    }
    let map = platform::flash_size_map();
    let Some((user1, user2, max)) = partitions(map) else {
        return Err(fail!(
            code::OTA_NO_PARTITION,
            "OTA: flash map {map} has a single user partition (build for a FOTA map)"
        ));
    };
    let base = if platform::running_userbin() == 0 {
        user2
    } else {
        user1
    };
    if size > max {
        return Err(fail!(
            code::OTA_NO_PARTITION,
            "OTA: image of {size} bytes does not fit the {max}-byte partition at {base:#x}"
        ));
    }
    platform::set_upgrade_flag(UPGRADE_FLAG_START);
    *OTA.lock() = Some(Writer {
        base,
        size,
        received: 0,
        tail: [0xFF; 4],
        expected: *expected,
    });
    Ok(base)
}

/// Write the next `data` of the image.
pub fn write(data: &[u8]) -> Result<(), Failure> {
    let mut guard = OTA.lock();
    let Some(w) = guard.as_mut() else {
        return Err(fail!(code::OTA_NOT_STARTED, "OTA: write without begin"));
    };
    let r = w.write(data);
    if r.is_err() {
        *guard = None;
        platform::set_upgrade_flag(UPGRADE_FLAG_IDLE);
    }
    r
}

/// Flush the image, check its length and its SHA-256 read back from flash,
/// and set the SDK's upgrade flag to `UPGRADE_FLAG_FINISH`. The update ends
/// either way.
pub fn finish() -> Result<(), Failure> {
    let Some(mut w) = OTA.lock().take() else {
        return Err(fail!(code::OTA_NOT_STARTED, "OTA: finish without begin"));
    };
    let r = w.finish();
    platform::set_upgrade_flag(if r.is_ok() {
        UPGRADE_FLAG_FINISH
    } else {
        UPGRADE_FLAG_IDLE
    });
    r
}

/// Abandon an update in progress (nothing is marked for boot).
pub fn abort() {
    if OTA.lock().take().is_some() {
        platform::set_upgrade_flag(UPGRADE_FLAG_IDLE);
    }
}

impl Writer {
    fn write(&mut self, mut data: &[u8]) -> Result<(), Failure> {
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        if len > self.size - self.received {
            return Err(fail!(
                code::OTA_SIZE_MISMATCH,
                "OTA: more than the announced {} bytes",
                self.size
            ));
        }
        // One buffer on the stack (the recv callback's, on the chip's
        // system stack): the pending bytes and the next ones as words.
        let mut words = [0u32; CHUNK_WORDS];
        while !data.is_empty() {
            // Word-aligned image offset of the pending word.
            let at = self.received & !3;
            let fill = (self.received & 3) as usize;
            let take = data.len().min(CHUNK_WORDS * 4 - fill);
            let mut bytes = self.tail[..fill].iter().chain(&data[..take]).copied();
            let whole = (fill + take) / 4;
            for w in words.iter_mut().take(whole) {
                let mut b = [0u8; 4];
                for x in b.iter_mut() {
                    *x = bytes.next().unwrap_or(0xFF);
                }
                *w = u32::from_ne_bytes(b);
            }
            let mut tail = [0xFF; 4];
            for (t, b) in tail.iter_mut().zip(bytes) {
                *t = b;
            }
            if whole > 0 {
                self.program(at, &words[..whole])?;
            }
            self.tail = tail;
            self.received += take as u32;
            data = &data[take..];
        }
        Ok(())
    }

    /// Program `words` at image offset `at` (a multiple of 4), erasing each
    /// sector when the first word of it is written.
    fn program(&self, at: u32, words: &[u32]) -> Result<(), Failure> {
        let end = at + 4 * words.len() as u32;
        // Sectors whose first word is among these.
        let mut sector_start = at.next_multiple_of(SECTOR);
        while sector_start < end {
            let addr = self.base + sector_start;
            let Ok(sector) = u16::try_from(addr / SECTOR) else {
                return Err(fail!(code::OTA_FLASH_FAILED, "OTA: sector beyond 256 MB"));
            };
            if !platform::flash_erase_sector(sector) {
                return Err(fail!(
                    code::OTA_FLASH_FAILED,
                    "OTA: spi_flash_erase_sector({sector:#x}) failed"
                ));
            }
            platform::feed_watchdog();
            sector_start += SECTOR;
        }
        if !platform::flash_write(self.base + at, words) {
            return Err(fail!(
                code::OTA_FLASH_FAILED,
                "OTA: spi_flash_write at {:#x} failed",
                self.base + at
            ));
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), Failure> {
        if self.received != self.size {
            return Err(fail!(
                code::OTA_SIZE_MISMATCH,
                "OTA: image ended after {} of {} bytes",
                self.received,
                self.size
            ));
        }
        if self.size % 4 != 0 {
            // The last word, padded with 0xFF (erased flash).
            let word = u32::from_ne_bytes(self.tail);
            self.program(self.size & !3, &[word])?;
        }
        let mut hash = Sha256::new();
        let mut words = [0u32; CHUNK_WORDS];
        let mut at = 0u32;
        while at < self.size {
            let n = (self.size - at).min(CHUNK_WORDS as u32 * 4) as usize;
            let words = &mut words[..n.div_ceil(4)];
            if !platform::flash_read(self.base + at, words) {
                return Err(fail!(
                    code::OTA_FLASH_FAILED,
                    "OTA: spi_flash_read at {:#x} failed",
                    self.base + at
                ));
            }
            for (i, w) in words.iter().enumerate() {
                hash.update(&w.to_ne_bytes()[..(n - 4 * i).min(4)]);
            }
            at += n as u32;
            if at % SECTOR == 0 {
                platform::feed_watchdog();
            }
        }
        let got: [u8; 32] = hash.finalize().into();
        if got != self.expected {
            return Err(fail!(
                code::OTA_HASH_MISMATCH,
                "OTA: SHA-256 of the {} bytes in flash at {:#x} is not the expected one",
                self.size,
                self.base
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inactive_partition_follows_the_sdk_flash_maps() {
        assert_eq!(partitions(0), None);
        assert_eq!(partitions(1), None);
        assert_eq!(partitions(2), Some((0x1000, 0x81000, 0x7B000)));
        assert_eq!(partitions(6), Some((0x1000, 0x101000, 0xFF000)));
        assert_eq!(partitions(10), None);
        // Every partition ends before the next region.
        for map in 2..=9 {
            let (u1, u2, max) = partitions(map).unwrap();
            assert!(u1 + max <= u2);
        }
    }

    fn sha(data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    fn read_back(addr: u32, len: usize) -> std::vec::Vec<u8> {
        let mut words = std::vec![0u32; len.div_ceil(4)];
        assert!(platform::flash_read(addr, &mut words));
        words
            .iter()
            .flat_map(|w| w.to_ne_bytes())
            .take(len)
            .collect()
    }

    /// Against the simulator's flash (user1 runs, so the image goes to
    /// user2 at 0x101000). One test: the writer and the flash are global.
    #[test]
    fn images_of_any_length_in_chunks_of_any_alignment_are_written_checked_and_flagged() {
        let user2 = 0x101000u32;
        let image: std::vec::Vec<u8> = (0..10_007u32).map(|i| (i * 7 + i / 251) as u8).collect();
        // Old data all over the partition's first sectors: each must be erased.
        assert!(platform::flash_write(user2 + 4096 + 8, &[0; 64]));
        assert!(platform::flash_write(
            user2 + 8192 + 1800,
            &[0x1234_5678; 8]
        ));
        // Chunks of odd lengths from an odd address.
        let mut src = std::vec![0u8; 1];
        src.extend_from_slice(&image);
        let src = &src[1..];
        assert_eq!(begin(image.len() as u32, &sha(&image)).unwrap(), user2);
        assert_eq!(platform::upgrade_flag(), UPGRADE_FLAG_START);
        let mut at = 0;
        for n in [1usize, 2, 3, 5, 4093, 7, 256, 257, 4096].iter().cycle() {
            let end = (at + n).min(src.len());
            write(&src[at..end]).unwrap();
            at = end;
            if at == src.len() {
                break;
            }
        }
        finish().unwrap();
        assert_eq!(platform::upgrade_flag(), UPGRADE_FLAG_FINISH);
        assert_eq!(read_back(user2, image.len()), image);
        // The last word is padded with erased bytes.
        assert_eq!(
            read_back(user2 + 10_004, 4),
            [image[10_004], image[10_005], image[10_006], 0xFF]
        );

        // A wrong hash: every byte written, nothing flagged.
        let mut wrong = sha(&image);
        wrong[0] ^= 1;
        begin(image.len() as u32, &wrong).unwrap();
        write(&image).unwrap();
        assert_eq!(finish().unwrap_err().code, code::OTA_HASH_MISMATCH);
        assert_eq!(platform::upgrade_flag(), UPGRADE_FLAG_IDLE);

        // Short: the update ends, flag idle.
        begin(image.len() as u32, &sha(&image)).unwrap();
        write(&image[..5000]).unwrap();
        assert_eq!(finish().unwrap_err().code, code::OTA_SIZE_MISMATCH);
        assert_eq!(platform::upgrade_flag(), UPGRADE_FLAG_IDLE);
        assert_eq!(finish().unwrap_err().code, code::OTA_NOT_STARTED);

        // Longer than announced: refused at the write that goes beyond.
        begin(100, &sha(&image[..100])).unwrap();
        assert_eq!(
            write(&image[..101]).unwrap_err().code,
            code::OTA_SIZE_MISMATCH
        );
        assert_eq!(write(&image[..1]).unwrap_err().code, code::OTA_NOT_STARTED);

        // Too big for the partition, or empty.
        assert_eq!(
            begin(0xFF001, &wrong).unwrap_err().code,
            code::OTA_NO_PARTITION
        );
        assert_eq!(begin(0, &wrong).unwrap_err().code, code::SSL_BAD_INPUT_DATA);

        // A new begin abandons the update in progress.
        begin(8, &sha(b"abcdefgh")).unwrap();
        write(b"abcd").unwrap();
        begin(4, &sha(b"wxyz")).unwrap();
        write(b"wxyz").unwrap();
        finish().unwrap();
        assert_eq!(read_back(user2, 4), b"wxyz");
        abort();
        assert_eq!(
            platform::upgrade_flag(),
            UPGRADE_FLAG_FINISH,
            "abort without an update changes nothing"
        );
    }
}
