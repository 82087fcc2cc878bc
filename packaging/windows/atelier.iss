; Inno Setup script: Atelier-Setup-<version>-<variant>.exe, a per-user installer that needs no administrator
; rights. The variant (cpu, or cuda for NVIDIA GPUs) is in the file name, the wizard's title, the Start
; menu's uninstall entry and Settings > Apps, so a user can tell which one is installed.
;
; Built by packaging/windows/build_windows.ps1 after PyInstaller (it passes the defines below):
;   iscc /DAppVersion=0.1.0 /DVariant=cpu /DTorchBuild=2.14.1+cpu packaging\windows\atelier.iss
; Installs dist\Atelier (the onedir bundle) into %LOCALAPPDATA%\Programs\Atelier, adds a Start menu entry
; and an uninstaller (Settings > Apps). The user's own styles and runs live in %APPDATA%\Atelier and are
; kept on uninstall: they are the user's work, not part of the program.
; Variant=cuda (NVIDIA build, ~4 GB) is split into Setup.exe + .bin slices: one file cannot exceed 2 GB.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z atelier.iss (build_windows.ps1 reads it from pyproject.toml)
#endif
#ifndef Variant
  #define Variant "cpu"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\Atelier"
#endif
#ifndef TorchBuild
  #define TorchBuild "unknown"
#endif
#if Variant == "cuda"
  #define VariantName "NVIDIA GPU"
#else
  #define VariantName "CPU"
#endif
#define AppName "Atelier"
#define AppExe "Atelier.exe"
#define IconFile "..\..\resources\icons\atelier.ico"

[Setup]
; AppId identifies the app for upgrades and uninstall: never change it.
AppId={{6F1B7C52-3E0A-4C8B-9B7E-5A2D41C9E0A7}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion} ({#VariantName})
; Shown in Settings > Apps (support information).
AppComments=Atelier for {#VariantName}, with torch {#TorchBuild}
AppPublisher=Atelier team
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install without admin: {autopf} is then %LOCALAPPDATA%\Programs. The dialog lets an admin
; choose an all-users install instead.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename={#AppName}-Setup-{#AppVersion}-{#Variant}
Compression=lzma2/max
SolidCompression=yes
LZMANumBlockThreads=4
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion} ({#VariantName})
CloseApplications=yes
#if FileExists(AddBackslash(SourcePath) + IconFile)
SetupIconFile={#IconFile}
#endif
#if Variant == "cuda"
DiskSpanning=yes
DiskSliceSize=max
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Messages]
; The welcome page names the variant (AppVerName), and says what it needs.
#if Variant == "cuda"
WelcomeLabel2=This will install [name/ver] on your computer.%n%nThis is the NVIDIA GPU version (torch {#TorchBuild}): it needs an NVIDIA graphics card (GTX 10-series or newer) with a recent driver, and falls back to the CPU without one.
#else
WelcomeLabel2=This will install [name/ver] on your computer.%n%nThis is the CPU version (torch {#TorchBuild}): it runs on any PC. With an NVIDIA graphics card, the NVIDIA GPU version is much faster.
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade must not mix old and new torch/Qt libraries.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
