/* ProcessPrng for Wine before 9.0, which lacks bcryptprimitives.dll.
 *
 * Rust's standard library (1.78 and later) takes its randomness from
 * ProcessPrng in bcryptprimitives.dll, present on every Windows 10 and 11;
 * Debian 12's Wine 8.0 does not have the DLL, so no Rust program starts
 * there. The dist test builds this stand-in with mingw and puts it next to
 * mailport.exe (the application directory is searched first) only when
 * Wine is older than 9.0. It is never shipped. */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
