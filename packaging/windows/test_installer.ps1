<#
.SYNOPSIS
  Test an Atelier installer the way a user gets it: install silently for the current user, run the
  self-test from the installed folder, uninstall silently, and check that the program is gone.

.DESCRIPTION
  The release workflow runs it on the Windows runner after build_windows.ps1, once per variant. The
  .bin slices of the CUDA installer must lie next to it (Inno Setup reads them from its own folder).
  The self-test runs from another folder with a scratch user folder, through atelier-cli.exe (the
  console launcher users are told to use). The user's data folder is not touched by the uninstaller.

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File packaging\windows\test_installer.ps1 dist\Atelier-Setup-0.1.0-cpu.exe
#>
param([Parameter(Mandatory = $true)][string]$Installer)
$ErrorActionPreference = "Stop"
$App = Join-Path $env:LOCALAPPDATA "Programs\Atelier"
$Log = Join-Path $env:TEMP "atelier-setup.log"

Write-Host "== install $Installer (silent, current user)"
$setup = Start-Process -FilePath (Resolve-Path $Installer) -Wait -PassThru `
  -ArgumentList "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", "/CURRENTUSER", "/LOG=`"$Log`""
if ($setup.ExitCode -ne 0) { Get-Content $Log -Tail 40; throw "installer exit code $($setup.ExitCode)" }
foreach ($file in "Atelier.exe", "atelier-cli.exe", "unins000.exe") {
  if (-not (Test-Path (Join-Path $App $file))) { throw "not installed: $App\$file" }
}

Write-Host "== self-test from the installed folder"
$env:ATELIER_HOME = Join-Path $env:TEMP ("atelier-home-" + [guid]::NewGuid().ToString("N").Substring(0, 8))
Push-Location $env:TEMP
& (Join-Path $App "atelier-cli.exe") --self-test
$selftest = $LASTEXITCODE
Pop-Location
Remove-Item Env:\ATELIER_HOME
if ($selftest -ne 0) { throw "installed self-test failed (exit $selftest)" }

Write-Host "== uninstall (silent)"
$uninstall = Start-Process -FilePath (Join-Path $App "unins000.exe") -Wait -PassThru `
  -ArgumentList "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART"
if ($uninstall.ExitCode -ne 0) { throw "uninstaller exit code $($uninstall.ExitCode)" }
# The uninstaller finishes from a copy of itself in %TEMP%: give it a moment to remove the last files.
for ($i = 0; $i -lt 60 -and (Test-Path (Join-Path $App "Atelier.exe")); $i++) { Start-Sleep -Seconds 1 }
if (Test-Path (Join-Path $App "Atelier.exe")) { throw "Atelier.exe is still there after uninstalling" }
Write-Host "installer OK: $Installer"
