"""A Python process with two threads on two streams of the fake libcuda,
launching with the GIL held (ctypes.PyDLL), as PyTorch does: thread H on
the high-priority stream (15 kernels of 10 ms, 1 ms apart), the main thread
on the low one (3 kernels) once H has started. Under hpf the main thread
is held; if it kept the GIL, H could not launch until it was let go."""
import ctypes
import threading
import time

gil = ctypes.PyDLL("libcuda.so.1")      # calls keep the GIL
nogil = ctypes.CDLL("libcuda.so.1")
P = ctypes.c_void_p
U = ctypes.c_uint
gil.cuLaunchKernel.argtypes = [P, U, U, U, U, U, U, U, P, P, P]
gil.cuInit(0)
lo, hi = P(), P()
nogil.cuStreamCreateWithPriority(ctypes.byref(lo), 0, 0)
nogil.cuStreamCreateWithPriority(ctypes.byref(hi), 0, -1)
started = threading.Event()


def launch(s, us, seq):
    assert gil.cuLaunchKernel(P(us), 1, seq, 1, 1, 1, 1, 0, s, None, None) == 0


def high():
    for i in range(15):
        launch(hi, 10000, i)
        started.set()
        time.sleep(0.001)
    nogil.cuStreamSynchronize(hi)


t = threading.Thread(target=high)
t.start()
started.wait()
time.sleep(0.002)
for i in range(3):
    launch(lo, 100, i)
nogil.cuStreamSynchronize(lo)
t.join()
