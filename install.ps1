# Installs the mailport agent on Windows: downloads the prebuilt binary,
# checks it against the release's SHA256SUMS, puts it into
# %LOCALAPPDATA%\Programs\mailport and adds that folder to your user PATH.
# No administrator rights, no compiler. In PowerShell:
#
#   irm https://github.com/mailport/mailport/releases/latest/download/install.ps1 | iex
#
# $env:MAILPORT_DOWNLOAD_BASE overrides where the archive and SHA256SUMS
# are downloaded from; $env:MAILPORT_INSTALL_DIR where the binary goes.
# Building from source instead: see "Building from source" in README.md.

& {
    $ErrorActionPreference = 'Stop'
    $ProgressPreference = 'SilentlyContinue'  # the progress bar slows downloads a lot

    $base = 'https://github.com/mailport/mailport/releases/latest/download'
    if ($env:MAILPORT_DOWNLOAD_BASE) { $base = $env:MAILPORT_DOWNLOAD_BASE.TrimEnd('/') }
    $dir = Join-Path $env:LOCALAPPDATA 'Programs\mailport'
    if ($env:MAILPORT_INSTALL_DIR) { $dir = $env:MAILPORT_INSTALL_DIR }

    # One Windows build: x86_64. Windows on ARM runs it through its x64
    # emulation; 32-bit Windows cannot.
    $arch = $env:PROCESSOR_ARCHITECTURE
    if ($env:PROCESSOR_ARCHITEW6432) { $arch = $env:PROCESSOR_ARCHITEW6432 }
    if ($arch -ne 'AMD64' -and $arch -ne 'ARM64') {
        Write-Error ("There is no prebuilt mailport for Windows on $arch. Prebuilt binaries exist for: " +
            'Windows x86_64 (also runs on Windows on ARM), Linux x86_64 and aarch64, macOS Intel and Apple silicon (install.sh).')
        return
    }
    $archive = 'mailport-x86_64-pc-windows-gnu.zip'

    $tmp = Join-Path ([IO.Path]::GetTempPath()) ('mailport-' + [guid]::NewGuid())
    New-Item -ItemType Directory -Path $tmp | Out-Null
    try {
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
        Write-Host "==> mailport for Windows ($arch), from $base/$archive"
        Invoke-WebRequest -UseBasicParsing -Uri "$base/$archive" -OutFile (Join-Path $tmp $archive)
        Invoke-WebRequest -UseBasicParsing -Uri "$base/SHA256SUMS" -OutFile (Join-Path $tmp 'SHA256SUMS')

        $want = $null
        foreach ($line in Get-Content (Join-Path $tmp 'SHA256SUMS')) {
            $parts = $line -split '\s+', 2
            if ($parts.Count -eq 2 -and $parts[1].TrimStart('*') -eq $archive) { $want = $parts[0].ToLower() }
        }
        if (-not $want) { Write-Error "SHA256SUMS lists no $archive; not installing."; return }
        $got = (Get-FileHash -Algorithm SHA256 -Path (Join-Path $tmp $archive)).Hash.ToLower()
        if ($got -ne $want) {
            Write-Error ("CHECKSUM MISMATCH for ${archive}: refusing to install.`n" +
                "  expected (SHA256SUMS): $want`n  downloaded file:       $got`n" +
                'The download is corrupt or was tampered with. Nothing was installed.')
            return
        }
        Write-Host "    checksum ok ($got)"

        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        Expand-Archive -Force -Path (Join-Path $tmp $archive) -DestinationPath $dir
        $exe = Join-Path $dir 'mailport.exe'
        $version = & $exe --version
        Write-Host "==> installed $version into $exe"

        # The user PATH (not the machine's: no administrator needed).
        $userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
        if (-not $userPath) { $userPath = '' }
        if (-not (($userPath -split ';') -contains $dir)) {
            $newPath = (($userPath.TrimEnd(';'), $dir) | Where-Object { $_ }) -join ';'
            [Environment]::SetEnvironmentVariable('Path', $newPath, 'User')
            $env:Path = "$env:Path;$dir"
            Write-Host "    added $dir to your user PATH (new terminals see it)"
        }
        Write-Host '    run: mailport         (opens the page, connected)'
        Write-Host '    or:  mailport check   (the answer in this terminal)'
    }
    finally {
        Remove-Item -Recurse -Force -Path $tmp -ErrorAction SilentlyContinue
    }
}
