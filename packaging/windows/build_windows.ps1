<#
.SYNOPSIS
  Build Atelier for Windows: onedir bundle (dist\Atelier), bundled self-test, bundle check, and the
  per-user installer dist\Atelier-Setup-<version>-<variant>.exe (Inno Setup, packaging\windows\atelier.iss).

.DESCRIPTION
  Runs in a throwaway venv so nothing from a developer's environment leaks into the bundle.
  Both variants bundle the torch version pinned in pyproject.toml ([tool.atelier.packaging] torch).
  Default: the CPU build of that torch (Atelier-Setup-<version>-cpu.exe, runs everywhere). -Cuda: its
  CUDA build (torch-cuda there, cu126: its kernels still cover GTX 10-series cards), for NVIDIA GPUs;
  ~4 GB, so Atelier-Setup-<version>-cuda.exe comes with .bin slices. torchvision is not bundled: the
  app never imports it.

.PARAMETER Cuda
  Build the CUDA variant.
.PARAMETER CudaIndex
  PyTorch wheel index for -Cuda (default https://download.pytorch.org/whl/<torch-cuda from pyproject.toml>).
.PARAMETER Python
  Interpreter used to create the venv (default: py -3.11).

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File packaging\windows\build_windows.ps1
  powershell -ExecutionPolicy Bypass -File packaging\windows\build_windows.ps1 -Cuda
#>
param(
  [switch]$Cuda,
  [string]$CudaIndex = "",
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
$Version = & $Py packaging\project.py version
$TorchPin = & $Py packaging\project.py torch
$CudaTag = & $Py packaging\project.py torch-cuda
& $Py packaging\project.py runtime | Set-Content -Encoding ascii "$Work\requirements.txt"
Check "reading pyproject.toml"
# The exact build, local label included (torch==2.14.1+cu126): no other index can substitute another one.
if ($Cuda) {
  $Variant = "cuda"; $Label = $CudaTag
  if (-not $CudaIndex) { $CudaIndex = "https://download.pytorch.org/whl/$CudaTag" }
  $Index = $CudaIndex
} else {
  $Variant = "cpu"; $Label = "cpu"; $Index = $CpuIndex
}
$TorchWant = "$TorchPin+$Label"
Stamp "torch $TorchWant from $Index"
& $Py -m pip install --quiet --disable-pip-version-check "torch==$TorchWant" --index-url $Index
Check "pip install torch==$TorchWant (from $Index)"
& $Py -m pip install --quiet --disable-pip-version-check -r "$Work\requirements.txt"
Check "pip install requirements"
& $Py -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda)"

Stamp "pyinstaller"
& (Join-Path $Venv "Scripts\pyinstaller.exe") --noconfirm --clean --log-level WARN --workpath "$Work\build" packaging\atelier.spec
Check "pyinstaller"

Stamp "bundled self-test"
# atelier-cli.exe (packaging\cli_launcher.py) runs the windowed Atelier.exe with this console, so the
# output shows here and PowerShell waits for the exit code.
$env:ATELIER_HOME = Join-Path $Work "home"
Push-Location $env:TEMP
& "$Root\dist\Atelier\atelier-cli.exe" --self-test
$selftest = $LASTEXITCODE
Pop-Location
Remove-Item Env:\ATELIER_HOME
if ($selftest -ne 0) { throw "bundled self-test failed" }
# Budgets are first guesses (no Windows build has been measured yet): tighten them after the first release.
$checkArgs = @("packaging\check_bundle.py", "dist\Atelier")
if ($Cuda) { $checkArgs += @("--budget-mib", "5000") } else { $checkArgs += @("--cpu-only", "--budget-mib", "900") }
& $Py @checkArgs
Check "check_bundle"

Stamp "installer"
$Iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $Iscc) { $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
if (-not (Test-Path $Iscc)) {
  choco install innosetup -y --no-progress | Out-Host
  $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe"
}
& $Iscc /Qp "/DAppVersion=$Version" "/DVariant=$Variant" "/DTorchBuild=$TorchWant" packaging\windows\atelier.iss
Check "iscc"
Get-ChildItem dist\Atelier-Setup-* | ForEach-Object { "{0}  {1:N0} MB" -f $_.Name, ($_.Length / 1MB) }
Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
Stamp "done"
