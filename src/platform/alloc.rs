//! Memory: the SDK heap, and per-connection arenas carved from it.
//!
//! rustls allocates infallibly, so running out of heap inside it would abort.
//! Each connection's engine therefore runs inside its own arena: blocks taken
//! from the SDK heap with `pvPortMalloc` and managed by `linked_list_allocator`.
//! The glue checks that the heap has room before it hands the engine work of
//! a known size, so an ordinary shortage surfaces as a clean error in the glue.
//! An allocation that fails anyway inside a step (a fragmented heap, another
//! user of the heap, an injected fault) abandons the step (see
//! `platform::run_step`); the arena then gives back every block it holds with
//! [`Arena::release_all`], live or not, so nothing the engine allocated leaks.
//!
//! Small blocks live in chunks managed by `linked_list_allocator`; large ones
//! come straight from the SDK heap with a [`Big`] header that links them into
//! their arena's list (or marks them as nobody's), so an arena can find all
//! of its memory without the engine's help.
//!
//! The `#[global_allocator]` (feature `runtime`, see `runtime.rs`) routes each
//! allocation to the arena entered with [`Arena::enter`] (NONOS is
//! single-threaded), and everything else to the SDK heap.

use core::alloc::Layout;
use core::cell::UnsafeCell;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};

use linked_list_allocator::Heap;

use super::sdk;

/// Alignment the SDK heap guarantees on every target we run on. Larger
/// alignments are served by over-allocating.
const SDK_ALIGN: usize = 4;

/// Allocate `layout` from the SDK heap; null when the heap is exhausted.
pub fn sdk_alloc(layout: Layout) -> *mut u8 {
    if layout.align() <= SDK_ALIGN {
        // SAFETY: pvPortMalloc accepts any size and returns null on failure;
        // the file string is a NUL-terminated literal.
        return unsafe { sdk::pvPortMalloc(layout.size().max(1), c"".as_ptr(), 0, 0) }.cast();
    }
    // Over-allocate, and keep the raw pointer just below the aligned block.
    let Some(total) = layout
        .size()
        .checked_add(layout.align() + size_of::<usize>())
    else {
        return ptr::null_mut();
    };
    // SAFETY: as above.
    let raw: *mut u8 = unsafe { sdk::pvPortMalloc(total, c"".as_ptr(), 0, 0) }.cast();
    if raw.is_null() {
        return raw;
    }
    let start = raw as usize + size_of::<usize>();
    let aligned = (start + layout.align() - 1) & !(layout.align() - 1);
    let aligned = raw.wrapping_add(aligned - raw as usize);
    // SAFETY: `aligned - size_of::<usize>()` lies inside the block just
    // allocated (we reserved that many bytes before `start`); unaligned write
    // because the slot need not be usize-aligned when SDK_ALIGN < usize align.
    unsafe {
        aligned
            .sub(size_of::<usize>())
            .cast::<usize>()
            .write_unaligned(raw as usize)
    };
    aligned
}

/// Free a block from [`sdk_alloc`] with the same layout.
///
/// # Safety
/// `p` must come from `sdk_alloc(layout)` and not have been freed.
pub unsafe fn sdk_free(p: *mut u8, layout: Layout) {
    if p.is_null() {
        return;
    }
    let raw = if layout.align() <= SDK_ALIGN {
        p
    } else {
        // SAFETY: sdk_alloc stored the raw pointer just below `p`.
        (unsafe { p.sub(size_of::<usize>()).cast::<usize>().read_unaligned() }) as *mut u8
    };
    // SAFETY: `p..p+size` is the caller's block (caller's contract), dead
    // now; `raw` is the pointer pvPortMalloc returned.
    unsafe {
        wipe(p, layout.size());
        sdk::vPortFree(raw.cast(), c"".as_ptr(), 0)
    }
}

/// Header in front of every large block (and every block allocated outside
/// an arena) that the global allocator takes from the SDK heap. An arena's
/// blocks form a circular list through its sentinel header (so unlinking
/// needs no owner); a block outside arenas has null links. `pad` leads from
/// the block `pvPortMalloc` returned to the header, `total` is its size (to
/// wipe it). 16 bytes on the chip.
#[repr(C)]
struct Big {
    prev: *mut Big,
    next: *mut Big,
    pad: u32,
    total: u32,
}

impl Big {
    const fn unlinked() -> Big {
        Big {
            prev: ptr::null_mut(),
            next: ptr::null_mut(),
            pad: 0,
            total: 0,
        }
    }
}

/// Allocate `layout` from the SDK heap behind a [`Big`] header, linked into
/// `owner`'s list when given. Null when the heap is exhausted.
fn big_alloc(owner: Option<&Arena>, layout: Layout) -> *mut u8 {
    let align = layout.align().max(align_of::<Big>());
    // The block is SDK_ALIGN-aligned, so aligning the payload costs at most this.
    let extra = align.saturating_sub(SDK_ALIGN);
    let Some(total) = layout
        .size()
        .checked_add(size_of::<Big>() + extra)
        .filter(|&t| t <= u32::MAX as usize)
    else {
        return ptr::null_mut();
    };
    // SAFETY: pvPortMalloc accepts any size and returns null on failure.
    let raw: *mut u8 = unsafe { sdk::pvPortMalloc(total, c"".as_ptr(), 0, 0) }.cast();
    if raw.is_null() {
        return raw;
    }
    let start = raw as usize + size_of::<Big>();
    let payload = raw.wrapping_add(((start + align - 1) & !(align - 1)) - raw as usize);
    let hdr = payload.wrapping_sub(size_of::<Big>()).cast::<Big>();
    // SAFETY: `hdr..payload+size` lies inside the fresh block (`extra` covers
    // the alignment step) and is aligned for `Big` (payload is aligned to at
    // least `align_of::<Big>()` and `Big`'s size is a multiple of it).
    unsafe {
        hdr.write(Big {
            pad: (hdr as usize - raw as usize) as u32,
            total: total as u32,
            ..Big::unlinked()
        });
        if let Some(a) = owner {
            let head = a.sentinel();
            (*hdr).prev = head;
            (*hdr).next = (*head).next;
            (*(*head).next).prev = hdr;
            (*head).next = hdr;
        }
    }
    payload
}

/// The block `pvPortMalloc` returned for header `hdr`.
///
/// # Safety
/// `hdr` must be a live header from `big_alloc`.
unsafe fn big_raw(hdr: *mut Big) -> *mut u8 {
    // SAFETY: caller's contract; `pad` leads back inside the same block.
    unsafe { hdr.cast::<u8>().sub((*hdr).pad as usize) }
}

/// Zero `len` bytes at `p`, in a way the optimiser keeps although the block
/// is freed right after.
///
/// # Safety
/// `p..p+len` must be valid for writes.
unsafe fn wipe(p: *mut u8, len: usize) {
    for i in 0..len {
        // SAFETY: in bounds (caller's contract).
        unsafe { ptr::write_volatile(p.add(i), 0) };
    }
}

/// Free a block from [`big_alloc`], unlinking it from its arena, wiped
/// whole: whatever it held (key material, traffic secrets, plaintext) does
/// not stay in the SDK heap's free memory. Every free wipes, whether or not
/// the block held a secret: the allocator cannot tell, and one pass over
/// the bytes costs far less than the work that filled them.
///
/// # Safety
/// `p` must come from `big_alloc` and not have been freed.
unsafe fn big_free(p: *mut u8) {
    // SAFETY: big_alloc put the header right below the payload; list
    // neighbours are live headers or the sentinel of the same arena, which
    // outlives its blocks (its box frees or unhooks them first).
    unsafe {
        let hdr = p.sub(size_of::<Big>()).cast::<Big>();
        if !(*hdr).prev.is_null() {
            (*(*hdr).prev).next = (*hdr).next;
            (*(*hdr).next).prev = (*hdr).prev;
        }
        let (raw, total) = (big_raw(hdr), (*hdr).total as usize);
        wipe(raw, total);
        sdk::vPortFree(raw.cast(), c"".as_ptr(), 0)
    }
}

/// The global allocator's path for memory outside any arena (see
/// `runtime.rs`): headed blocks, so that frees need no lookup.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) fn global_alloc(layout: Layout) -> *mut u8 {
    match current() {
        Some(arena) => arena.alloc(layout),
        None => big_alloc(None, layout),
    }
}

/// Free what [`global_alloc`] handed out.
///
/// # Safety
/// `p` must come from `global_alloc(layout)` and not have been freed.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) unsafe fn global_free(p: *mut u8, layout: Layout) {
    match owner_of(p) {
        // SAFETY: the arena handed out `p` with this layout.
        Some(arena) => unsafe { arena.dealloc(p, layout) },
        // SAFETY: not in any arena's chunks, so it is a headed block.
        None => unsafe { big_free(p) },
    }
}

/// Most blocks one arena may hold; a connection needs two or three.
const MAX_CHUNKS: usize = 8;
/// Allocations at least this large bypass the blocks (see `Arena::alloc`).
const DIRECT_MIN: usize = 128;
/// Smallest block an arena takes from the SDK heap, to limit the count.
const MIN_CHUNK: usize = 256;
/// Bookkeeping `linked_list_allocator` needs per block and per allocation.
const CHUNK_OVERHEAD: usize = 64;
/// Live arenas at once (connections plus the listener).
const MAX_ARENAS: usize = 8;

struct Chunk {
    base: *mut u8,
    size: usize,
    heap: Heap,
}

struct Inner {
    chunks: [Option<Chunk>; MAX_CHUNKS],
    /// Sentinel of the circular list of this arena's large blocks.
    big: Big,
    /// See [`Arena::set_own_flight`].
    own_flight: usize,
}

/// One connection's arena. Created with [`Arena::new`], which registers it so
/// that frees find it wherever they happen.
pub struct Arena {
    inner: UnsafeCell<Inner>,
}

/// The arena was full and the SDK heap could not give it another block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory {
    /// Bytes the arena tried to take from the SDK heap.
    pub requested: usize,
    /// Free SDK heap at the time.
    pub free: u32,
}

static REGISTRY: [AtomicPtr<Arena>; MAX_ARENAS] =
    [const { AtomicPtr::new(ptr::null_mut()) }; MAX_ARENAS];
static CURRENT: AtomicPtr<Arena> = AtomicPtr::new(ptr::null_mut());

/// An owned, registered arena living on the SDK heap. Dropping it returns every
/// block to the SDK heap.
pub struct ArenaBox {
    ptr: NonNull<Arena>,
}

impl Arena {
    /// A new, empty arena (it takes blocks on first use).
    #[allow(clippy::new_ret_no_self)] // the arena lives on the SDK heap, owned by its box
    pub fn new() -> Result<ArenaBox, OutOfMemory> {
        let layout = Layout::new::<Arena>();
        let p = sdk_alloc(layout).cast::<Arena>();
        let Some(ptr) = NonNull::new(p) else {
            return Err(OutOfMemory {
                requested: layout.size(),
                free: super::free_heap(),
            });
        };
        // SAFETY: `ptr` is a fresh allocation of the right layout.
        unsafe {
            ptr.as_ptr().write(Arena {
                inner: UnsafeCell::new(Inner {
                    chunks: [const { None }; MAX_CHUNKS],
                    big: Big::unlinked(),
                    own_flight: 0,
                }),
            });
            // The empty list: the sentinel links to itself, at its final
            // address.
            let head = (*ptr.as_ptr()).sentinel();
            (*head).prev = head;
            (*head).next = head;
        };
        for slot in REGISTRY.iter() {
            if slot
                .compare_exchange(
                    ptr::null_mut(),
                    ptr.as_ptr(),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
            {
                return Ok(ArenaBox { ptr });
            }
        }
        // SAFETY: not registered, not shared: free it again.
        unsafe { sdk_free(ptr.as_ptr().cast(), layout) };
        Err(OutOfMemory {
            requested: 0,
            free: super::free_heap(),
        })
    }

    /// The sentinel of the large-block list (a raw pointer: the list is only
    /// walked through raw pointers).
    fn sentinel(&self) -> *mut Big {
        // SAFETY: a place inside the cell; no reference is formed.
        unsafe { ptr::addr_of_mut!((*self.inner.get()).big) }
    }

    #[allow(clippy::mut_from_ref)]
    fn inner(&self) -> &mut Inner {
        // SAFETY: NONOS is single-threaded and the arena is never re-entered:
        // no method holds this borrow across a call that could come back here
        // (growth calls pvPortMalloc, which is C and does not allocate from Rust).
        unsafe { &mut *self.inner.get() }
    }

    /// Heap the connection's own certificate flight takes after a
    /// verification or key exchange in its handshake
    /// (`platform::slice::own_flight`): kept with the connection's memory,
    /// so that a step resumed later still finds it.
    pub fn set_own_flight(&self, bytes: usize) {
        self.inner().own_flight = bytes;
    }

    pub fn own_flight(&self) -> usize {
        self.inner().own_flight
    }

    /// Bytes free across all blocks (not necessarily contiguous).
    pub fn free_bytes(&self) -> usize {
        self.inner()
            .chunks
            .iter()
            .flatten()
            .map(|c| c.heap.free())
            .sum()
    }

    /// Bytes in use by the arena's allocations.
    pub fn used_bytes(&self) -> usize {
        self.inner()
            .chunks
            .iter()
            .flatten()
            .map(|c| c.heap.used())
            .sum()
    }

    /// Bytes the arena holds from the SDK heap.
    pub fn held_bytes(&self) -> usize {
        self.inner().chunks.iter().flatten().map(|c| c.size).sum()
    }

    /// Check, before handing the engine work, that `bytes` more can be
    /// allocated: either inside the arena already, or from the SDK heap on
    /// demand. Nothing else allocates while the engine runs (NONOS is
    /// single-threaded), so what is free now is free then; nothing is reserved,
    /// so the heap figures show what the engine really used. On failure
    /// `requested` is what the SDK heap would have to give (`bytes` and the
    /// allocator's bookkeeping, less what the arena has free), always more
    /// than its `free`.
    pub fn ensure_free(&self, bytes: usize) -> Result<(), OutOfMemory> {
        let need = bytes + CHUNK_OVERHEAD;
        if self.largest_chunk_free() >= need {
            return Ok(());
        }
        let free = super::free_heap();
        let from_heap = (need + CHUNK_OVERHEAD * MAX_CHUNKS / 2).saturating_sub(self.free_bytes());
        if free as usize >= from_heap {
            return Ok(());
        }
        Err(OutOfMemory {
            requested: from_heap,
            free,
        })
    }

    fn largest_chunk_free(&self) -> usize {
        self.inner()
            .chunks
            .iter()
            .flatten()
            .map(|c| c.heap.free())
            .max()
            .unwrap_or(0)
    }

    /// Take one more block of at least `min` bytes. Blocks grow with the
    /// arena (a quarter of what it holds) so that many small allocations never
    /// run out of block slots; when the heap cannot give that much, the
    /// smallest block that fits is tried.
    fn grow(&self, min: usize) -> Result<usize, OutOfMemory> {
        let held = self.held_bytes();
        let inner = self.inner();
        let Some(slot) = inner.chunks.iter().position(|c| c.is_none()) else {
            return Err(OutOfMemory {
                requested: min,
                free: super::free_heap(),
            });
        };
        let small = (min.max(MIN_CHUNK) + 7) & !7;
        let large = (small.max(held / 4) + 7) & !7;
        for size in [large, small] {
            let Ok(layout) = Layout::from_size_align(size, SDK_ALIGN) else {
                continue;
            };
            let base = sdk_alloc(layout);
            if base.is_null() {
                continue;
            }
            let mut heap = Heap::empty();
            // SAFETY: `base..base+size` is a fresh block owned by this arena
            // until `trim` or drop hands it back.
            unsafe { heap.init(base, size) };
            inner.chunks[slot] = Some(Chunk { base, size, heap });
            return Ok(slot);
        }
        Err(OutOfMemory {
            requested: small,
            free: super::free_heap(),
        })
    }

    /// Allocate inside the arena, taking a new block from the SDK heap if none
    /// fits. Null only when the SDK heap is exhausted too.
    pub fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= DIRECT_MIN {
            // Large blocks (buffers, big integers) come straight from the SDK
            // heap: inside chunks they would leave holes that keep whole
            // chunks from being given back. Their header links them to us.
            return big_alloc(Some(self), layout);
        }
        for c in self.inner().chunks.iter_mut().flatten() {
            if let Ok(p) = c.heap.allocate_first_fit(layout) {
                return p.as_ptr();
            }
        }
        let need = layout.size() + layout.align() + CHUNK_OVERHEAD;
        match self.grow(need) {
            Ok(slot) => match &mut self.inner().chunks[slot] {
                Some(c) => c
                    .heap
                    .allocate_first_fit(layout)
                    .map_or(ptr::null_mut(), |p| p.as_ptr()),
                None => ptr::null_mut(),
            },
            Err(_) => ptr::null_mut(),
        }
    }

    #[cfg_attr(not(feature = "runtime"), allow(dead_code))]
    fn owns(&self, p: *mut u8) -> bool {
        let a = p as usize;
        self.inner()
            .chunks
            .iter()
            .flatten()
            .any(|c| a >= c.base as usize && a < c.base as usize + c.size)
    }

    /// Free a block this arena handed out.
    ///
    /// # Safety
    /// `p` must come from `self.alloc(layout)` and not have been freed.
    pub unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        let a = p as usize;
        for c in self.inner().chunks.iter_mut().flatten() {
            if a >= c.base as usize && a < c.base as usize + c.size {
                if let Some(nn) = NonNull::new(p) {
                    // SAFETY: the block was allocated from this chunk's heap
                    // with this layout (caller's contract) and is dead: wiped
                    // as `big_free` wipes, then given back.
                    unsafe {
                        wipe(p, layout.size());
                        c.heap.deallocate(nn, layout)
                    };
                }
                return;
            }
        }
        // SAFETY: not in a chunk, so `alloc` made it with `big_alloc`.
        unsafe { big_free(p) }
    }

    /// Large blocks currently live.
    fn big_count(&self) -> usize {
        let head = self.sentinel();
        let mut n = 0;
        // SAFETY: the list only links live headers of this arena and its
        // sentinel.
        let mut h = unsafe { (*head).next };
        while h != head {
            n += 1;
            // SAFETY: as above.
            h = unsafe { (*h).next };
        }
        n
    }

    /// Give every block back to the SDK heap, including blocks still in use:
    /// for an engine step that was abandoned half-way, whose objects will
    /// never be touched (nor dropped) again. The arena stays usable, empty.
    ///
    /// # Safety
    /// Nothing allocated in this arena may be used or dropped afterwards.
    pub unsafe fn release_all(&self) {
        let inner = self.inner();
        // The abandoned objects' destructors, which would have zeroised
        // their secrets (keys, traffic secrets), never run: wipe instead.
        for c in inner.chunks.iter_mut().filter_map(Option::take) {
            // SAFETY: the chunk came from sdk_alloc with this size; the
            // caller guarantees its contents are dead.
            unsafe {
                wipe(c.base, c.size);
                sdk_free(c.base, Layout::from_size_align_unchecked(c.size, SDK_ALIGN))
            };
        }
        let head = self.sentinel();
        // SAFETY: the list links live headers of this arena and its sentinel.
        let mut h = unsafe { (*head).next };
        while h != head {
            // SAFETY: a live header of this arena; read before its block goes,
            // then the whole block pvPortMalloc returned is wiped and freed
            // (nothing in it is used again).
            unsafe {
                let next = (*h).next;
                let (raw, total) = (big_raw(h), (*h).total as usize);
                wipe(raw, total);
                sdk::vPortFree(raw.cast(), c"".as_ptr(), 0);
                h = next;
            }
        }
        // SAFETY: the sentinel, now an empty list.
        unsafe {
            (*head).prev = head;
            (*head).next = head;
        }
    }

    /// Give blocks with nothing left in them back to the SDK heap (after the
    /// handshake most of the arena is empty again).
    pub fn trim(&self) {
        for slot in self.inner().chunks.iter_mut() {
            if slot.as_ref().is_some_and(|c| c.heap.used() == 0) {
                if let Some(c) = slot.take() {
                    // SAFETY: the block came from sdk_alloc with this size and
                    // nothing in it is live.
                    unsafe {
                        sdk_free(c.base, Layout::from_size_align_unchecked(c.size, SDK_ALIGN))
                    };
                }
            }
        }
    }

    /// Run `f` with every Rust allocation routed into this arena (the engine's
    /// work and drops must happen inside). Nests: the previous arena is
    /// restored afterwards.
    pub fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        let me = self as *const Arena as *mut Arena;
        let prev = CURRENT.swap(me, Ordering::AcqRel);
        let r = f();
        CURRENT.store(prev, Ordering::Release);
        r
    }
}

impl core::ops::Deref for ArenaBox {
    type Target = Arena;
    fn deref(&self) -> &Arena {
        // SAFETY: `ptr` stays valid until this box is dropped.
        unsafe { self.ptr.as_ref() }
    }
}

impl Drop for ArenaBox {
    fn drop(&mut self) {
        let me = self.ptr.as_ptr();
        for slot in REGISTRY.iter() {
            let _ = slot.compare_exchange(me, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire);
        }
        let _ = CURRENT.compare_exchange(me, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire);
        // SAFETY: unregistered above, so no allocation can reach it any more.
        let arena = unsafe { self.ptr.as_ref() };
        for c in arena.inner().chunks.iter_mut().filter_map(Option::take) {
            if c.heap.used() != 0 {
                // Something allocated here is still alive: freeing the block
                // would turn that into a use-after-free. Keep it (a bug, logged).
                // Without `core::fmt`: this drop is on the system stack's
                // deepest static path (docs/STACK.md, "System stack").
                super::log_number(
                    "espconn_secure: bug: arena freed with ",
                    c.heap.used(),
                    " bytes live",
                );
                continue;
            }
            // SAFETY: the block came from sdk_alloc with this size.
            unsafe { sdk_free(c.base, Layout::from_size_align_unchecked(c.size, SDK_ALIGN)) };
        }
        if arena.big_count() != 0 {
            // As above: large blocks still live would dangle. Keep them, and
            // unhook them from the arena that is going away.
            super::log_number(
                "espconn_secure: bug: arena freed with ",
                arena.big_count(),
                " large blocks live",
            );
            let head = arena.sentinel();
            // SAFETY: live headers of this arena; they become nobody's.
            unsafe {
                let mut h = (*head).next;
                while h != head {
                    let next = (*h).next;
                    (*h).prev = ptr::null_mut();
                    (*h).next = ptr::null_mut();
                    h = next;
                }
            }
        }
        // SAFETY: `me` came from sdk_alloc(Layout::new::<Arena>()); Arena has
        // no drop glue of its own (its blocks were handed back above).
        unsafe { sdk_free(me.cast(), Layout::new::<Arena>()) };
    }
}

/// What an engine step may be handed besides its value: plain data that
/// cannot take ownership of memory, so that nothing the step allocates can
/// outlive an abandoned step outside the arena.
pub trait StepArg: sealed::Sealed {}
impl StepArg for () {}
impl StepArg for usize {}
impl StepArg for &[u8] {}
impl StepArg for &mut [u8] {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for () {}
    impl Sealed for usize {}
    impl Sealed for &[u8] {}
    impl Sealed for &mut [u8] {}
}

/// A value (a connection's TLS engine) that lives, with everything it
/// allocates, in an arena of its own, and is only ever worked on in guarded
/// steps (`platform::run_step`). When a step is abandoned half-way (an
/// allocation failed, or the engine panicked) the value is forgotten and the
/// arena gives back all its memory: nothing leaks and nothing half-updated is
/// touched again.
///
/// Steps are functions or closures that capture nothing (checked at compile
/// time: their type has size 0), taking the value and a [`StepArg`], and
/// return `Copy` results, so nothing outside can come to own memory of the
/// arena. (Statics could; the engine's code keeps none that hold heap
/// memory.) They are generic rather than `fn` pointers so that the calls stay
/// direct, which the chip's static stack analysis can follow.
pub struct Confined<T> {
    /// A step of [`Confined::step_resumable`] suspended half-way: while it
    /// is, the value is its (mutably borrowed) and nothing else touches it.
    suspended: Option<super::slice::Suspended>,
    /// Arena memory is lent out ([`Confined::pin`]): an abandoned step's
    /// blocks are released only once it comes back.
    pinned: Pin,
    /// Declared before the arena so that it drops first.
    value: Option<T>,
    arena: ArenaBox,
}

/// Whether a [`Confined`]'s arena memory is lent out, and whether a step was
/// abandoned meanwhile (its blocks wait for [`Confined::unpin`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pin {
    No,
    Yes,
    YesReleasePending,
}

/// What a [`Confined::step_resumable`] or [`Confined::resume`] came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stepped<R> {
    /// The step returned this.
    Done(R),
    /// The step is suspended before a public-key operation
    /// (`platform::slice`): resume it from a later SDK callback.
    Suspended,
}

impl<T> Confined<T> {
    /// An empty confinement with its (empty) arena.
    pub fn new() -> Result<Self, OutOfMemory> {
        Ok(Confined {
            suspended: None,
            pinned: Pin::No,
            value: None,
            arena: Arena::new()?,
        })
    }

    /// The value, for calls that do not allocate (reading state, borrowing
    /// output). Anything that allocates goes through [`Confined::step`].
    /// `None` while a step is suspended.
    pub fn get(&self) -> Option<&T> {
        if self.suspended.is_some() {
            return None;
        }
        self.value.as_ref()
    }

    /// A step is suspended half-way ([`Confined::step_resumable`]).
    pub fn is_suspended(&self) -> bool {
        self.suspended.is_some()
    }

    /// Build the value in a guarded step. `Ok(Err(e))` when `build` failed
    /// cleanly; `Err` when the step was abandoned or could not start.
    pub fn init<A: Copy + 'static, E: Copy, F: FnOnce(A) -> Result<T, E>>(
        &mut self,
        stack: super::StepStack,
        arg: A,
        build: F,
    ) -> Result<Result<(), E>, super::StepError> {
        const { assert!(size_of::<F>() == 0, "a step must not capture anything") };
        self.clear();
        let arena = &*self.arena;
        match super::run_step(stack, || arena.enter(|| build(arg))) {
            Ok(Ok(v)) => {
                self.value = Some(v);
                Ok(Ok(()))
            }
            Ok(Err(e)) => {
                arena.trim();
                Ok(Err(e))
            }
            Err(e) => Err(self.abandon(e)),
        }
    }

    /// Run `op` on the value in a guarded step; `Ok(None)` when there is no
    /// value. Emptied chunks go back to the SDK heap afterwards.
    pub fn step<A: StepArg, R: Copy, F: FnOnce(&mut T, A) -> R>(
        &mut self,
        stack: super::StepStack,
        arg: A,
        op: F,
    ) -> Result<Option<R>, super::StepError> {
        const { assert!(size_of::<F>() == 0, "a step must not capture anything") };
        if self.suspended.is_some() {
            return Ok(None);
        }
        let Some(value) = self.value.as_mut() else {
            return Ok(None);
        };
        let arena = &*self.arena;
        match super::run_step(stack, || arena.enter(|| op(value, arg))) {
            Ok(r) => {
                arena.trim();
                Ok(Some(r))
            }
            Err(e) => Err(self.abandon(e)),
        }
    }

    /// As [`Confined::step`] (without an argument) for a step that may be
    /// suspended before a public-key operation (`platform::slice`): then
    /// `Ok(Some(Stepped::Suspended))`, the value stays the step's, and
    /// [`Confined::resume`] carries on from a later SDK callback. The step
    /// works on what `T` points to (the engine in the arena), whose address
    /// does not change when the `Confined` moves.
    pub fn step_resumable<U, R, F>(
        &mut self,
        stack: super::StepStack,
        op: F,
    ) -> Result<Option<Stepped<R>>, super::StepError>
    where
        T: core::ops::DerefMut<Target = U>,
        U: ?Sized,
        R: Copy + 'static,
        F: FnOnce(&mut U) -> R,
    {
        const { assert!(size_of::<F>() == 0, "a step must not capture anything") };
        if self.suspended.is_some() {
            return Ok(None);
        }
        let Some(value) = self.value.as_mut() else {
            return Ok(None);
        };
        let target: *mut U = &mut **value;
        let arena: *const Arena = &*self.arena;
        // SAFETY: the arena (its own SDK block) and the target (arena
        // memory owned by `value`) stay where they are until the step is
        // over: while it is suspended `get`, `step` and this refuse to touch
        // the value, and dropping or clearing the value first abandons the
        // step (`abandon`), after which nothing of it runs.
        let slice = unsafe {
            super::slice::start_step(stack, move || {
                let arena = &*arena;
                arena.enter(|| op(&mut *target))
            })
        };
        self.after_slice(slice)
    }

    /// Carries on with the suspended step ([`Confined::step_resumable`]);
    /// `Ok(None)` when none is suspended.
    pub fn resume<R: Copy + 'static>(&mut self) -> Result<Option<Stepped<R>>, super::StepError> {
        let Some(s) = self.suspended.take() else {
            return Ok(None);
        };
        self.after_slice(super::slice::resume_step::<R>(s))
    }

    fn after_slice<R: Copy>(
        &mut self,
        slice: super::slice::Slice<R>,
    ) -> Result<Option<Stepped<R>>, super::StepError> {
        match slice {
            super::slice::Slice::Suspended(s) => {
                self.suspended = Some(s);
                Ok(Some(Stepped::Suspended))
            }
            super::slice::Slice::Done(Ok(r)) => {
                self.arena.trim();
                Ok(Some(Stepped::Done(r)))
            }
            super::slice::Slice::Done(Err(e)) => Err(self.abandon(e)),
        }
    }

    /// Gives up a suspended step: the value it was working on is
    /// half-updated, so it goes with the arena as after an escape. Nothing
    /// happens when no step is suspended.
    pub fn abandon_suspended(&mut self) {
        if let Some(s) = self.suspended.take() {
            drop(s);
            self.abandon(super::StepError::Panic);
        }
    }

    fn abandon(&mut self, e: super::StepError) -> super::StepError {
        if e.abandoned() {
            // Half-updated: never dropped (its destructors could follow
            // broken links), never used again; its memory goes with the arena.
            core::mem::forget(self.value.take());
            if self.pinned == Pin::No {
                // SAFETY: the value, the only owner of memory in this arena
                // (steps cannot move arena memory out, see `StepArg`), is
                // gone, and none of its memory is lent out.
                unsafe { self.arena.release_all() };
            } else {
                self.pinned = Pin::YesReleasePending;
            }
        }
        e
    }

    /// Some of the value's memory is lent out by address (a pointer a step
    /// returned, such as decrypted bytes handed to a user callback): until
    /// [`Confined::unpin`], a step abandoned meanwhile leaves the arena's
    /// blocks where they are (the value is gone all the same). The lender
    /// must not clear or drop the `Confined` while pinned.
    pub fn pin(&mut self) {
        self.pinned = Pin::Yes;
    }

    /// The lent memory is no longer used: what an abandoned step left goes
    /// back now.
    pub fn unpin(&mut self) {
        if core::mem::replace(&mut self.pinned, Pin::No) == Pin::YesReleasePending {
            // SAFETY: the value was forgotten when its step was abandoned
            // (`abandon`) and none of its memory is lent out any more.
            unsafe { self.arena.release_all() };
        }
    }

    /// Drop the value inside its arena and give back the emptied chunks (a
    /// suspended step is abandoned first, and the value with it).
    pub fn clear(&mut self) {
        debug_assert!(self.pinned == Pin::No, "a pinned arena's value is cleared");
        self.unpin();
        self.abandon_suspended();
        if let Some(v) = self.value.take() {
            self.arena.enter(|| drop(v));
            self.arena.trim();
        }
    }

    /// See [`Arena::ensure_free`].
    pub fn ensure_free(&self, bytes: usize) -> Result<(), OutOfMemory> {
        self.arena.ensure_free(bytes)
    }

    /// Bytes the arena holds from the SDK heap in chunks.
    pub fn held_bytes(&self) -> usize {
        self.arena.held_bytes()
    }
}

impl<T> Drop for Confined<T> {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A value on the SDK heap with a stable address, allocated fallibly (the SDK
/// keeps pointers into it, e.g. to a shadow `struct espconn`).
pub struct SdkBox<T> {
    ptr: NonNull<T>,
}

impl<T> SdkBox<T> {
    /// Moves `value` to the SDK heap; drops it if the heap is exhausted.
    /// (Not giving it back keeps a second copy of a large `T`, such as a
    /// connection slot, out of the caller's frame: these callers run on the
    /// NONOS system stack, docs/STACK.md.)
    pub fn try_new(value: T) -> Result<Self, OutOfMemory> {
        let layout = Layout::new::<T>();
        match NonNull::new(sdk_alloc(layout).cast::<T>()) {
            Some(ptr) => {
                // SAFETY: fresh allocation of T's layout.
                unsafe { ptr.as_ptr().write(value) };
                Ok(SdkBox { ptr })
            }
            None => Err(OutOfMemory {
                requested: layout.size(),
                free: super::free_heap(),
            }),
        }
    }

    /// Room for a `T` on the SDK heap, to be initialised in place (no `T`
    /// travels through the caller's frame).
    pub fn try_new_uninit() -> Result<SdkBox<core::mem::MaybeUninit<T>>, OutOfMemory> {
        let layout = Layout::new::<T>();
        match NonNull::new(sdk_alloc(layout).cast::<core::mem::MaybeUninit<T>>()) {
            Some(ptr) => Ok(SdkBox { ptr }),
            None => Err(OutOfMemory {
                requested: layout.size(),
                free: super::free_heap(),
            }),
        }
    }

    /// The stable address (valid until the box is dropped).
    pub fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// Gives up ownership; [`SdkBox::from_raw`] takes it back.
    pub fn into_raw(self) -> *mut T {
        let p = self.ptr.as_ptr();
        core::mem::forget(self);
        p
    }

    /// # Safety
    /// `p` must come from [`SdkBox::into_raw`] and not be owned elsewhere.
    pub unsafe fn from_raw(p: *mut T) -> Self {
        // SAFETY: caller's contract (non-null, from into_raw).
        SdkBox {
            ptr: unsafe { NonNull::new_unchecked(p) },
        }
    }
}

impl<T> core::ops::Deref for SdkBox<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: valid and initialised until drop.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> core::ops::DerefMut for SdkBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: valid, initialised, and uniquely borrowed through `&mut self`.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T> Drop for SdkBox<T> {
    fn drop(&mut self) {
        // SAFETY: we own the value and its block, allocated with T's layout.
        unsafe {
            ptr::drop_in_place(self.ptr.as_ptr());
            sdk_free(self.ptr.as_ptr().cast(), Layout::new::<T>());
        }
    }
}

/// The arena currently entered (null: none), to restore after a step that
/// was abandoned inside [`Arena::enter`].
pub(crate) fn current_ptr() -> *mut Arena {
    CURRENT.load(Ordering::Acquire)
}

/// See [`current_ptr`].
pub(crate) fn set_current_ptr(p: *mut Arena) {
    CURRENT.store(p, Ordering::Release);
}

/// The arena currently entered, if any.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) fn current() -> Option<&'static Arena> {
    let p = CURRENT.load(Ordering::Acquire);
    // SAFETY: CURRENT only ever holds a registered, live arena (cleared when
    // that arena is dropped).
    unsafe { p.as_ref() }
}

/// The registered arena whose blocks contain `p`, if any.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) fn owner_of(p: *mut u8) -> Option<&'static Arena> {
    REGISTRY.iter().find_map(|slot| {
        let a = slot.load(Ordering::Acquire);
        // SAFETY: the registry only holds live arenas.
        let a = unsafe { a.as_ref() }?;
        a.owns(p).then_some(a)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The simulated SDK heap is one per process: tests that compare its
    /// figures must not overlap.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn serial() -> std::sync::MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[test]
    fn arena_blocks_return_to_the_sdk_heap_whole() {
        let _g = serial();
        let before = crate::platform::free_heap();
        {
            let arena = Arena::new().expect("arena");
            arena.ensure_free(6000).expect("room");
            assert!(arena.ensure_free(usize::MAX / 2).is_err());
            let l = Layout::from_size_align(DIRECT_MIN / 2, 8).unwrap();
            let p = arena.alloc(l);
            assert!(!p.is_null());
            assert!(owner_of(p).is_some(), "small blocks live in the arena");
            // A block still live when the arena goes is kept, not freed under it:
            // free it first, as the glue does by dropping the engine inside.
            // SAFETY: allocated above with this layout.
            unsafe { arena.dealloc(p, l) };
            assert_eq!(arena.used_bytes(), 0);
        }
        assert_eq!(crate::platform::free_heap(), before);
    }

    #[test]
    fn large_allocations_bypass_the_blocks() {
        let _g = serial();
        let arena = Arena::new().expect("arena");
        let l = Layout::from_size_align(DIRECT_MIN, 4).unwrap();
        let p = arena.alloc(l);
        assert!(!p.is_null());
        assert!(
            owner_of(p).is_none(),
            "large block must come from the SDK heap"
        );
        assert_eq!(arena.held_bytes(), 0);
        assert_eq!(arena.big_count(), 1, "the arena tracks its large blocks");
        // SAFETY: the arena handed it out with this layout.
        unsafe { arena.dealloc(p, l) };
        assert_eq!(arena.big_count(), 0);
    }

    #[test]
    fn release_all_returns_live_blocks_of_an_abandoned_step() {
        let _g = serial();
        let before = crate::platform::free_heap();
        let arena = Arena::new().expect("arena");
        let after_arena = crate::platform::free_heap();
        // A mix the engine might leave behind when a step is cut short:
        // small blocks in chunks and large over-aligned ones outside.
        for i in 0..40usize {
            let l = Layout::from_size_align(16 + (i * 37) % 3000, 1 << (i % 7)).unwrap();
            assert!(!arena.alloc(l).is_null());
        }
        assert!(crate::platform::free_heap() < after_arena);
        // SAFETY: nothing allocated above is used again.
        unsafe { arena.release_all() };
        assert_eq!(crate::platform::free_heap(), after_arena);
        assert_eq!(arena.big_count(), 0);
        assert_eq!(arena.held_bytes(), 0);
        // Still usable afterwards.
        let l = Layout::from_size_align(500, 4).unwrap();
        let p = arena.alloc(l);
        assert!(!p.is_null());
        // SAFETY: allocated above with this layout.
        unsafe { arena.dealloc(p, l) };
        drop(arena);
        assert_eq!(crate::platform::free_heap(), before);
    }

    #[test]
    fn headed_blocks_outside_arenas_round_trip_at_any_alignment() {
        let _g = serial();
        let before = crate::platform::free_heap();
        for align in [1usize, 2, 4, 8, 16, 64, 256] {
            let l = Layout::from_size_align(align * 3 + 1, align).unwrap();
            let p = big_alloc(None, l);
            assert!(!p.is_null());
            assert_eq!(p as usize % align, 0);
            // SAFETY: the payload is valid for l.size() bytes.
            unsafe { p.write_bytes(0x5A, l.size()) };
            // SAFETY: allocated above.
            unsafe { big_free(p) };
        }
        assert_eq!(crate::platform::free_heap(), before);
    }

    #[test]
    fn arena_grows_on_demand_and_trims_empty_blocks() {
        let _g = serial();
        let arena = Arena::new().expect("arena");
        let size = DIRECT_MIN / 2;
        let l = Layout::from_size_align(size, 4).unwrap();
        // Enough small blocks to need several arena blocks.
        let count = 4 * MIN_CHUNK / size;
        let ptrs: alloc::vec::Vec<*mut u8> = (0..count).map(|_| arena.alloc(l)).collect();
        assert!(ptrs.iter().all(|p| !p.is_null()));
        assert!(ptrs.iter().all(|&p| owner_of(p).is_some()));
        let held = arena.held_bytes();
        assert!(held >= count * size, "blocks were taken");
        let half = count / 2;
        for &p in &ptrs[half..] {
            // SAFETY: allocated above with this layout.
            unsafe { arena.dealloc(p, l) };
        }
        arena.trim();
        assert!(arena.held_bytes() < held, "an empty block was kept");
        for &p in &ptrs[..half] {
            // SAFETY: allocated above with this layout.
            unsafe { arena.dealloc(p, l) };
        }
        arena.trim();
        assert_eq!(arena.held_bytes(), 0);
    }

    #[test]
    fn over_aligned_sdk_blocks_round_trip() {
        let _g = serial();
        let l = Layout::from_size_align(100, 64).unwrap();
        let p = sdk_alloc(l);
        assert!(!p.is_null());
        assert_eq!(p as usize % 64, 0);
        // SAFETY: allocated above with this layout.
        unsafe { sdk_free(p, l) };
    }
}
