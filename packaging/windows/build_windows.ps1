<#
.SYNOPSIS
  Build Atelier for Windows: onedir bundle (dist\Atelier), bundled self-test, bundle check, and the
  per-user installer dist\Atelier-Setup-<version>.exe (Inno Setup, packaging\windows\atelier.iss).

.DESCRIPTION
  Runs in a throwaway venv so nothing from a developer's environment leaks into the bundle.
  Default: CPU-only torch (small installer, runs everywhere). -Cuda installs the CUDA torch wheel from
  the PyTorch index instead (NVIDIA GPUs; ~4 GB installer named Atelier-Setup-<version>-cuda.exe).
  torchvision is not bundled: the app never imports it.

.PARAMETER Cuda
  Build the CUDA variant.
.PARAMETER CudaIndex
  PyTorch wheel index for -Cuda (default https://download.pytorch.org/whl/cu128).
.PARAMETER Python
  Interpreter used to create the venv (default: py -3.11).

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File packaging\windows\build_windows.ps1
  powershell -ExecutionPolicy Bypass -File packaging\windows\build_windows.ps1 -Cuda
#>
param(
  [switch]$Cuda,
  [string]$CudaIndex = "https://download.pytorch.org/whl/cu128",
  [string]$CpuIndex = "https://download.pytorch.org/whl/cpu",
  [string]$Python = ""
)
$ErrorActionPreference = "Stop"
$Root = (Resolve-Path "$PSScriptRoot\..\..").Path
Set-Location $Root
$Start = Get-Date
function Stamp($msg) { Write-Host ("[{0:N0}s] {1}" -f ((Get-Date) - $Start).TotalSeconds, $msg) }
function Check($what) { if ($LASTEXITCODE -ne 0) { throw "$what failed (exit $LASTEXITCODE)" } }

$Work = Join-Path ([IO.Path]::GetTempPath()) ("atelier-build-" + [guid]::NewGuid().ToString("N").Substring(0, 8))
$Venv = Join-Path $Work "venv"
$Py = Join-Path $Venv "Scripts\python.exe"
New-Item -ItemType Directory -Force -Path $Work | Out-Null

Stamp "venv"
if ($Python) { & $Python -m venv $Venv } else { & py -3.11 -m venv $Venv }
Check "venv"
$Version = & $Py -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])"
# pyproject.toml's requirements (so the torch version cap applies), torch and torchvision handled here.
& $Py -c @"
import re, tomllib
project = tomllib.load(open('pyproject.toml', 'rb'))['project']
torch, other = [], []
for req in project['dependencies'] + project['optional-dependencies']['package']:
    name = re.split(r'[<>=!~ \[;]', req, maxsplit=1)[0].lower()
    if name == 'torch':
        torch.append(req)
    elif name != 'torchvision':
        other.append(req)
open(r'$Work\torch.txt', 'w').write('\n'.join(torch) + '\n')
open(r'$Work\requirements.txt', 'w').write('\n'.join(other) + '\n')
"@
Check "reading pyproject.toml"
$Index = if ($Cuda) { $CudaIndex } else { $CpuIndex }
Stamp "torch from $Index"
& $Py -m pip install --quiet --disable-pip-version-check -r "$Work\torch.txt" --index-url $Index
Check "pip install torch"
& $Py -m pip install --quiet --disable-pip-version-check -r "$Work\requirements.txt"
Check "pip install requirements"
& $Py -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda)"

Stamp "pyinstaller"
& (Join-Path $Venv "Scripts\pyinstaller.exe") --noconfirm --clean --log-level WARN --workpath "$Work\build" packaging\atelier.spec
Check "pyinstaller"

Stamp "bundled self-test"
# atelier-cli.exe is the console twin of the windowed Atelier.exe: same bundle, but with stdout and an
# exit code PowerShell waits for.
$env:ATELIER_HOME = Join-Path $Work "home"
Push-Location $env:TEMP
& "$Root\dist\Atelier\atelier-cli.exe" --self-test
$selftest = $LASTEXITCODE
Pop-Location
Remove-Item Env:\ATELIER_HOME
if ($selftest -ne 0) { throw "bundled self-test failed" }
$checkArgs = @("packaging\check_bundle.py", "dist\Atelier")
if (-not $Cuda) { $checkArgs += "--cpu-only" }
& $Py @checkArgs
Check "check_bundle"

Stamp "installer"
$Iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $Iscc) { $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
if (-not (Test-Path $Iscc)) {
  choco install innosetup -y --no-progress | Out-Host
  $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe"
}
$Variant = if ($Cuda) { "cuda" } else { "cpu" }
& $Iscc /Qp "/DAppVersion=$Version" "/DVariant=$Variant" packaging\windows\atelier.iss
Check "iscc"
Get-ChildItem dist\Atelier-Setup-* | ForEach-Object { "{0}  {1:N0} MB" -f $_.Name, ($_.Length / 1MB) }
Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
Stamp "done"
