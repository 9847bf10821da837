# xuncha @VERSION@ 离线安装（不联网、不访问任何软件源）。
#   powershell -ExecutionPolicy Bypass -File install.ps1              安装到本文件夹旁边的 xuncha\
#   powershell -ExecutionPolicy Bypass -File install.ps1 D:\xuncha    安装到指定文件夹
# 结果：<目标>\.venv\Scripts\xuncha.exe。需要 64 位 Python @PYTHON@（python.org 安装包，勾选 py 启动器）。
param([string]$Target = "")
$ErrorActionPreference = "Stop"
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path
if (-not $Target) { $Target = Join-Path (Split-Path -Parent $Here) "xuncha" }
New-Item -ItemType Directory -Force -Path $Target | Out-Null
$Target = (Resolve-Path $Target).Path

function Test-Py311([string[]]$cmd) {
    try {
        $exe = $cmd[0]; $rest = @(); if ($cmd.Length -gt 1) { $rest = $cmd[1..($cmd.Length - 1)] }
        & $exe @rest -c "import sys, struct; sys.exit(sys.version_info[:2] != (3, 11) or struct.calcsize('P') != 8)" 2>$null
        return ($LASTEXITCODE -eq 0)
    } catch { return $false }
}
$Py = $null
if ($env:PYTHON) { if (Test-Py311 @($env:PYTHON)) { $Py = @($env:PYTHON) } }
elseif ((Get-Command py -ErrorAction SilentlyContinue) -and (Test-Py311 @("py", "-3.11"))) { $Py = @("py", "-3.11") }
elseif ((Get-Command python -ErrorAction SilentlyContinue) -and (Test-Py311 @("python"))) { $Py = @("python") }
if (-not $Py) {
    Write-Host ("错误：找不到 64 位 Python @PYTHON@。安装包里的依赖是为 Python @PYTHON@ 编译的：请先安装 python.org 的 " +
                "Python @PYTHON@（64 位），或设置环境变量 PYTHON 为其 python.exe 的完整路径后重试。") -ForegroundColor Red
    exit 2
}

Write-Host "安装 xuncha @VERSION@ 到 $Target"
$exe = $Py[0]; $rest = @(); if ($Py.Length -gt 1) { $rest = $Py[1..($Py.Length - 1)] }
& $exe @rest -m venv "$Target\.venv"
if ($LASTEXITCODE -ne 0) { Write-Host "错误：无法创建虚拟环境 $Target\.venv" -ForegroundColor Red; exit 1 }
$VenvPy = Join-Path $Target ".venv\Scripts\python.exe"
# 只用本文件夹的 wheels\：--no-index 不访问任何软件源，也不读本机的 pip 配置
$env:PIP_CONFIG_FILE = "nul"; $env:PIP_NO_INPUT = "1"; $env:PIP_DISABLE_PIP_VERSION_CHECK = "1"
& $VenvPy -m pip install --quiet --no-index --find-links "$Here\wheels" -c "$Here\requirements.lock" "xuncha==@VERSION@"
if ($LASTEXITCODE -ne 0) {
    Write-Host ("错误：安装失败，wheels\ 中缺少适合本机的文件。请确认 U 盘复制完整（SHA256SUMS.txt 列出了每个文件的校验值），" +
                "或在联网机器上重新生成安装包。") -ForegroundColor Red
    exit 1
}
# 报告用的 Jupyter 内核，装在这个虚拟环境里（xuncha 运行时缺了也会自动补上）
& $VenvPy -m ipykernel install --sys-prefix --name xuncha --display-name "xuncha (Python)" | Out-Null
$Xuncha = Join-Path $Target ".venv\Scripts\xuncha.exe"
& $Xuncha --version
Write-Host ""
Write-Host "安装完成：$Xuncha"
Write-Host "下一步："
Write-Host "  & `"$Xuncha`" init D:\巡察\山丹县 --county 山丹县    # 建一个县的工作文件夹"
Write-Host "  cd D:\巡察\山丹县"
Write-Host "  & `"$Xuncha`" demo                                   # 先用演示台账走一遍全流程"
