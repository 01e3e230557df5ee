//! A supervisor process answers for its child: the child's filter hands `mknodat`
//! to the supervisor, which reads the path from the child's memory, checks the
//! notification is still valid, and makes the call "succeed" without running it
//! (creating device nodes needs a privilege the child does not have to have).
//!
//! `cargo run --example supervisor`

use std::io::Error;

use seccomp_rt::{NotifyFilter, Response, seccomp};

static CHILD_POLICY: NotifyFilter = seccomp! {
    mknodat => notify;
    mknod? => notify;
    default => allow;
};

/// Sends a descriptor over a Unix socket (`SCM_RIGHTS`).
fn send_fd(sock: i32, fd: i32) -> std::io::Result<()> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(size_of::<i32>() as u32) } as usize;
    let mut control = vec![0u8; space];
    // SAFETY: all-zero is a valid msghdr; the pointers set below outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: `msg` has room for one cmsg carrying one int.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<i32>() as u32) as _;
        libc::CMSG_DATA(cmsg).cast::<i32>().write_unaligned(fd);
    }
    // SAFETY: `msg` is valid.
    if unsafe { libc::sendmsg(sock, &raw const msg, 0) } < 0 {
        Err(Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Receives a descriptor sent by [`send_fd`].
fn recv_fd(sock: i32) -> std::io::Result<i32> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // SAFETY: as in `send_fd`.
    let space = unsafe { libc::CMSG_SPACE(size_of::<i32>() as u32) } as usize;
    let mut control = vec![0u8; space];
    // SAFETY: as in `send_fd`.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: `msg` is valid.
    if unsafe { libc::recvmsg(sock, &raw mut msg, 0) } <= 0 {
        return Err(Error::last_os_error());
    }
    // SAFETY: the kernel filled the control buffer.
    let cmsg = unsafe { libc::CMSG_FIRSTHDR(&raw const msg) };
    if cmsg.is_null() {
        return Err(Error::other("no descriptor received"));
    }
    // SAFETY: an SCM_RIGHTS message with one descriptor.
    Ok(unsafe { libc::CMSG_DATA(cmsg).cast::<i32>().read_unaligned() })
}

/// Reads a NUL-terminated string from another process's memory.
fn read_string(pid: u32, addr: u64) -> String {
    let mut buf = [0u8; 256];
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: both iovecs describe valid ranges (the remote one is checked by the kernel).
    let n = unsafe {
        libc::process_vm_readv(
            pid as libc::pid_t,
            &raw const local,
            1,
            &raw const remote,
            1,
            0,
        )
    };
    let n = usize::try_from(n).unwrap_or(0);
    let end = buf[..n].iter().position(|&b| b == 0).unwrap_or(n);
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

fn main() {
    let mut socks = [0i32; 2];
    // SAFETY: `socks` has room for two descriptors.
    assert_eq!(
        unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, socks.as_mut_ptr()) },
        0
    );
    // SAFETY: the child only makes syscalls and exits.
    let child = unsafe { libc::fork() };
    if child == 0 {
        let listener = CHILD_POLICY.install().expect("install the child's filter");
        send_fd(socks[1], listener.as_raw_fd()).expect("send the listener");
        drop(listener);
        let path = c"/tmp/seccomp-rt-supervisor-demo";
        // SAFETY: a NUL-terminated path; the supervisor answers instead of the kernel.
        let r = unsafe {
            libc::mknodat(
                libc::AT_FDCWD,
                path.as_ptr(),
                libc::S_IFCHR | 0o600,
                libc::makedev(1, 3),
            )
        };
        println!("child: mknodat returned {r}");
        // SAFETY: ends the child.
        unsafe { libc::_exit(if r == 0 { 0 } else { 1 }) };
    }
    let fd = recv_fd(socks[0]).expect("receive the listener");
    // SAFETY: the child sent us its listener; nothing else owns this descriptor.
    let listener = unsafe { seccomp_rt::Listener::from_raw_fd(fd) };
    let n = listener.recv().expect("a notification");
    let path = read_string(n.pid, n.data.args[1]);
    // What was read is only trustworthy if the caller still waits for this answer.
    let valid = listener.id_valid(n.id);
    println!(
        "supervisor: pid {} called mknodat({path:?}), mode {:#o}; still waiting: {valid}",
        n.pid, n.data.args[2]
    );
    listener.respond(n.id, Response::Value(0)).expect("respond");
    let mut status = 0;
    // SAFETY: waits for our child.
    unsafe { libc::waitpid(child, &raw mut status, 0) };
    println!(
        "supervisor: child exited with {}",
        libc::WEXITSTATUS(status)
    );
}
