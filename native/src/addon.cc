// N-API glue only: argument unpacking, promises and thread-safe functions. Reading NVML
// lives in device_reader, threading in device_workers and xid_events.
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "device_reader.h"
#include "device_workers.h"
#include "nvml_loader.h"
#include "xid_events.h"

namespace pw = proofwatch::nvml;

namespace {

class NvmlAddon;

// Node frees a thread-safe function when its environment is torn down (process exit, a
// worker thread ending) even while native threads still hold it. So each one gets a gate:
// its finalizer closes the gate, and native threads call it only with the gate open and
// locked; a call then either completes before teardown or does not happen.
struct TsfnGate {
  std::mutex mutex;
  bool open = true;

  void Close() {
    std::lock_guard<std::mutex> lock(mutex);
    open = false;
  }
};
using GatePtr = std::shared_ptr<TsfnGate>;

// A read's promise and the caller's arrays its numbers and codes go into.
struct ReadContext {
  napi_deferred deferred;
  NvmlAddon* addon;
  GatePtr gate;
  Napi::Reference<Napi::Float64Array> numbers;
  Napi::Reference<Napi::Int32Array> codes;
};

struct ReadResult {
  nvmlReturn_t rc = NVML_SUCCESS;
  pw::DeviceReading reading;
};

void DeliverXid(Napi::Env env, Napi::Function callback, TsfnGate*, pw::XidEvent* event);
using XidTsfn = Napi::TypedThreadSafeFunction<TsfnGate, pw::XidEvent, DeliverXid>;

// The calls that name no GPU and run on the addon's system thread instead of the JS thread,
// since a hung driver may never answer them either.
enum class SystemCall { kInit, kDeviceCount, kDriverVersion, kCudaDriverVersion, kEvents };

// A system call's promise, and for kEvents what the watcher will deliver through.
struct SystemContext {
  napi_deferred deferred = nullptr;
  NvmlAddon* addon = nullptr;
  GatePtr gate;
  SystemCall call = SystemCall::kInit;
  // kEvents: which startEvents() this answers, and its callback's thread-safe function.
  uint64_t epoch = 0;
  std::unique_ptr<XidTsfn> xid;
  GatePtr xidGate;
};

// What a system call got from NVML. Whatever it holds that nobody took over on the JS thread
// (an environment torn down, a startEvents() cancelled) is given back here, on the thread
// that drops it.
struct SystemResult {
  nvmlReturn_t rc = NVML_SUCCESS;
  std::string message;
  unsigned int count = 0;
  int version = 0;
  std::string text;
  // kInit: the reference nvmlInit took, until the environment counts it as its own.
  bool holdsInit = false;
  // kEvents: the registered event set, until a watcher takes it over.
  pw::ApiPtr api;
  pw::XidRegistration registration;

  ~SystemResult() {
    if (holdsInit) pw::Release();
    if (api) pw::XidWatcher::Free(*api, &registration);
  }
};

void DeliverReading(Napi::Env env, Napi::Function, ReadContext* ctx, ReadResult* result);
void DeliverSystem(Napi::Env env, Napi::Function, SystemContext* ctx, SystemResult* result);

using ReadTsfn = Napi::TypedThreadSafeFunction<ReadContext, ReadResult, DeliverReading>;
using SystemTsfn = Napi::TypedThreadSafeFunction<SystemContext, SystemResult, DeliverSystem>;

// Thread-safe function callbacks still run while a worker's environment is torn down, when
// every call into JS fails; node-addon-api turns a failed call into a throw, and a throw
// there aborts the process (test/native/teardown.test.ts). So the callbacks build their
// values through the C API, which reports failure, and stop at the first one.
class SafeJs {
 public:
  explicit SafeJs(napi_env env) : env_(env) {}
  bool ok() const { return ok_; }

  napi_value Object() { return Make(napi_create_object, env_); }
  napi_value Array(size_t length) { return Make(napi_create_array_with_length, env_, length); }
  napi_value Number(double value) { return Make(napi_create_double, env_, value); }
  napi_value String(const std::string& text) {
    return Make(napi_create_string_utf8, env_, text.data(), text.size());
  }
  void Set(napi_value object, const char* name, napi_value value) {
    if (ok_) ok_ = napi_set_named_property(env_, object, name, value) == napi_ok;
  }
  void SetElement(napi_value array, uint32_t index, napi_value value) {
    if (ok_) ok_ = napi_set_element(env_, array, index, value) == napi_ok;
  }

 private:
  template <typename Fn, typename... Args>
  napi_value Make(Fn fn, Args... args) {
    napi_value value = nullptr;
    if (ok_) ok_ = fn(args..., &value) == napi_ok;
    return value;
  }

  napi_env env_;
  bool ok_ = true;
};

// Writes a DeviceReading in the addon's compact form: each number into `numbers` at its
// field index (NaN where NVML gave none), the strings and the process list into `text`.
// A scrape reuses its arrays, so reading a GPU allocates only the strings (the object per
// field this replaced was ~4.5 KB of garbage per GPU per scrape, bench/RESULTS.md).
struct CompactFieldWriter {
  SafeJs& js;
  napi_value text;
  double* numbers;
  size_t index = 0;

  void operator()(const char* name, const std::optional<std::string>& v) {
    numbers[index++] = kAbsent;
    if (v) js.Set(text, name, js.String(*v));
  }
  void operator()(const char*, const std::optional<uint64_t>& v) {
    // Counters stay far below 2^53 in practice (see native/types.ts).
    numbers[index++] = v ? static_cast<double>(*v) : kAbsent;
  }
  void operator()(const char* name, const std::optional<std::vector<pw::ComputeProcess>>& v) {
    numbers[index++] = kAbsent;
    if (!v) return;
    napi_value list = js.Array(v->size());
    for (size_t i = 0; i < v->size(); ++i) {
      const auto& p = (*v)[i];
      napi_value o = js.Object();
      js.Set(o, "pid", js.Number(p.pid));
      if (p.usedGpuMemoryBytes) {
        js.Set(o, "usedGpuMemoryBytes", js.Number(static_cast<double>(*p.usedGpuMemoryBytes)));
      }
      js.SetElement(list, static_cast<uint32_t>(i), o);
    }
    js.Set(text, name, list);
  }

  static constexpr double kAbsent = std::numeric_limits<double>::quiet_NaN();
};

class NvmlAddon : public Napi::Addon<NvmlAddon> {
 public:
  NvmlAddon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
                             InstanceMethod("setErrorClass", &NvmlAddon::SetErrorClass),
                             InstanceMethod("init", &NvmlAddon::Initialize),
                             InstanceMethod("initAsync", &NvmlAddon::InitializeAsync),
                             InstanceMethod("shutdown", &NvmlAddon::Shutdown),
                             InstanceMethod("driverVersion", &NvmlAddon::DriverVersion),
                             InstanceMethod("driverVersionAsync", &NvmlAddon::DriverVersionAsync),
                             InstanceMethod("cudaDriverVersion", &NvmlAddon::CudaDriverVersion),
                             InstanceMethod("cudaDriverVersionAsync",
                                            &NvmlAddon::CudaDriverVersionAsync),
                             InstanceMethod("deviceCount", &NvmlAddon::DeviceCount),
                             InstanceMethod("deviceCountAsync", &NvmlAddon::DeviceCountAsync),
                             InstanceMethod("missingFunctions", &NvmlAddon::MissingFunctions),
                             InstanceMethod("fieldNames", &NvmlAddon::FieldNames),
                             InstanceMethod("groupNames", &NvmlAddon::GroupNames),
                             InstanceMethod("readDevice", &NvmlAddon::ReadDevice),
                             InstanceMethod("startEvents", &NvmlAddon::StartEvents),
                             InstanceMethod("stopEvents", &NvmlAddon::StopEvents),
                         });
  }

  // Environment teardown (process exit, a worker thread ending): release what this
  // environment still holds so NVML's own reference count stays right for the others.
  ~NvmlAddon() {
    watcher_.Stop();
    while (inits_ > 0) {
      --inits_;
      pw::Release();
    }
  }

  // MakeError for thread-safe function callbacks: nullptr instead of a throw (see SafeJs).
  napi_value MakeErrorSafe(napi_env env, int code, const std::string& message) {
    SafeJs js(env);
    napi_value args[] = {js.String(message), js.Number(code)};
    napi_value ctor = nullptr, error = nullptr;
    if (!js.ok()) return nullptr;
    if (errorClass_.IsEmpty()) {
      if (napi_create_error(env, nullptr, args[0], &error) != napi_ok) return nullptr;
      js.Set(error, "code", args[1]);
      js.Set(error, "nvmlName", js.String(pw::ReturnCodeName(code)));
      return js.ok() ? error : nullptr;
    }
    if (napi_get_reference_value(env, errorClass_, &ctor) != napi_ok || ctor == nullptr ||
        napi_new_instance(env, ctor, 2, args, &error) != napi_ok) {
      return nullptr;
    }
    return error;
  }

  // An NvmlError (or a plain Error before setErrorClass) carrying the NVML code.
  Napi::Value MakeError(Napi::Env env, int code, const std::string& message) {
    if (!errorClass_.IsEmpty()) {
      return errorClass_.New({Napi::String::New(env, message), Napi::Number::New(env, code)});
    }
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::Number::New(env, code));
    error.Set("nvmlName", Napi::String::New(env, pw::ReturnCodeName(code)));
    return error.Value();
  }

  // On the JS thread, a system call's answer: this environment takes over what it holds and
  // the promise settles. Built through the C API, as DeliverReading (see SafeJs).
  void Settle(napi_env env, SystemContext* ctx, std::unique_ptr<SystemResult> result) {
    if (ctx->call == SystemCall::kEvents) return SettleEvents(env, ctx, std::move(result));
    if (result->rc != NVML_SUCCESS) {
      napi_value error = MakeErrorSafe(env, result->rc, result->message);
      if (error != nullptr) napi_reject_deferred(env, ctx->deferred, error);
      return;
    }
    SafeJs js(env);
    napi_value value = nullptr;
    switch (ctx->call) {
      case SystemCall::kInit:
        result->holdsInit = false;
        if (++inits_ == 1) deviceCount_.reset();
        napi_get_undefined(env, &value);
        break;
      case SystemCall::kDeviceCount:
        // NVML's device list is fixed at nvmlInit; readDevice refuses indices past it.
        if (inits_ > 0) deviceCount_ = result->count;
        value = js.Number(result->count);
        break;
      case SystemCall::kDriverVersion:
        value = js.String(result->text);
        break;
      case SystemCall::kCudaDriverVersion:
        value = js.Number(result->version);
        break;
      case SystemCall::kEvents:
        break;
    }
    if (js.ok() && value != nullptr) napi_resolve_deferred(env, ctx->deferred, value);
  }

 private:
  Napi::Value Throw(Napi::Env env, int code, const std::string& message) {
    Napi::Value error = MakeError(env, code, message);
    if (!env.IsExceptionPending()) Napi::Error(env, error).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  pw::ApiPtr RequireApi(Napi::Env env) {
    pw::ApiPtr api = inits_ > 0 ? pw::Current() : nullptr;
    if (!api) Throw(env, NVML_ERROR_UNINITIALIZED, kUninitialized);
    return api;
  }

  Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsFunction()) {
      Napi::TypeError::New(info.Env(), "setErrorClass expects a constructor")
          .ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    errorClass_ = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
  }

  Napi::Value Initialize(const Napi::CallbackInfo& info) {
    const pw::LoadResult result = pw::Acquire();
    if (result.code != NVML_SUCCESS) return Throw(info.Env(), result.code, result.message);
    if (++inits_ == 1) {
      // NVML fixes its device list at nvmlInit (no hot-plug), so the count is read once here.
      pw::ApiPtr api = pw::Current();
      unsigned int count = 0;
      deviceCount_.reset();
      if (api && api->deviceGetCount != nullptr && api->deviceGetCount(&count) == NVML_SUCCESS) {
        deviceCount_ = count;
      }
    }
    return info.Env().Undefined();
  }

  // initAsync(): Promise<void>. init() on the system thread: a driver that hangs in nvmlInit
  // leaves the promise pending and the JS thread free.
  Napi::Value InitializeAsync(const Napi::CallbackInfo& info) {
    return PostSystem(info.Env(), SystemCall::kInit, [](SystemResult* r) {
      const pw::LoadResult load = pw::Acquire();
      r->rc = load.code;
      r->message = load.message;
      r->holdsInit = load.code == NVML_SUCCESS;
    });
  }

  // deviceCountAsync(): Promise<number>, on the system thread.
  Napi::Value DeviceCountAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pw::ApiPtr api = inits_ > 0 ? pw::Current() : nullptr;
    if (!api) return Rejected(env, NVML_ERROR_UNINITIALIZED, kUninitialized);
    return PostSystem(env, SystemCall::kDeviceCount, [api = std::move(api)](SystemResult* r) {
      if (api->deviceGetCount == nullptr) {
        r->rc = NVML_ERROR_FUNCTION_NOT_FOUND;
        r->message = "nvmlDeviceGetCount_v2 is missing";
        return;
      }
      r->rc = api->deviceGetCount(&r->count);
      if (r->rc != NVML_SUCCESS) r->message = "nvmlDeviceGetCount_v2 failed";
    });
  }

  // driverVersionAsync(): Promise<string>, on the system thread.
  Napi::Value DriverVersionAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pw::ApiPtr api = inits_ > 0 ? pw::Current() : nullptr;
    if (!api) return Rejected(env, NVML_ERROR_UNINITIALIZED, kUninitialized);
    return PostSystem(env, SystemCall::kDriverVersion, [api = std::move(api)](SystemResult* r) {
      if (api->systemGetDriverVersion == nullptr) {
        r->rc = NVML_ERROR_FUNCTION_NOT_FOUND;
        r->message = "nvmlSystemGetDriverVersion is missing";
        return;
      }
      char version[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE] = {};
      r->rc = api->systemGetDriverVersion(version, sizeof(version));
      if (r->rc != NVML_SUCCESS) {
        r->message = "nvmlSystemGetDriverVersion failed";
        return;
      }
      version[sizeof(version) - 1] = '\0';
      r->text = version;
    });
  }

  // cudaDriverVersionAsync(): Promise<number>, on the system thread.
  Napi::Value CudaDriverVersionAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pw::ApiPtr api = inits_ > 0 ? pw::Current() : nullptr;
    if (!api) return Rejected(env, NVML_ERROR_UNINITIALIZED, kUninitialized);
    return PostSystem(env, SystemCall::kCudaDriverVersion,
                      [api = std::move(api)](SystemResult* r) {
                        r->rc = ReadCudaDriverVersion(*api, &r->version, &r->message);
                      });
  }

  // nvmlSystemGetCudaDriverVersion_v2 (or the unversioned one of older drivers).
  static nvmlReturn_t ReadCudaDriverVersion(const pw::Api& api, int* version,
                                            std::string* message) {
    if (api.systemGetCudaDriverVersion == nullptr) {
      *message = "nvmlSystemGetCudaDriverVersion_v2 is missing";
      return NVML_ERROR_FUNCTION_NOT_FOUND;
    }
    const nvmlReturn_t rc = api.systemGetCudaDriverVersion(version);
    if (rc != NVML_SUCCESS) *message = "nvmlSystemGetCudaDriverVersion_v2 failed";
    return rc;
  }

  Napi::Value PostSystem(Napi::Env env, SystemCall call, std::function<void(SystemResult*)> work) {
    auto ctx = std::make_unique<SystemContext>();
    ctx->call = call;
    return PostSystem(env, std::move(ctx), std::move(work));
  }

  // A promise settled by Settle() once `work` has run on the system thread: one thread for
  // every call that names no GPU, in the order made, as device_workers gives each GPU one.
  Napi::Value PostSystem(Napi::Env env, std::unique_ptr<SystemContext> owned,
                         std::function<void(SystemResult*)> work) {
    napi_deferred deferred = nullptr;
    napi_value promise = nullptr;
    if (napi_create_promise(env, &deferred, &promise) != napi_ok) return env.Undefined();
    auto gate = std::make_shared<TsfnGate>();
    SystemContext* ctx = owned.release();
    ctx->deferred = deferred;
    ctx->addon = this;
    ctx->gate = gate;
    const SystemCall call = ctx->call;
    SystemTsfn tsfn = SystemTsfn::New(
        env, "proofwatch.nvml.system", 0, 1, ctx,
        [](Napi::Env, void*, SystemContext* c) {
          c->gate->Close();
          delete c;
        },
        static_cast<void*>(nullptr));
    // Registering for events must not by itself keep the process alive, as watching does not.
    if (call == SystemCall::kEvents) tsfn.Unref(env);
    system_.Post(0, [work = std::move(work), tsfn, gate]() mutable {
      auto result = std::make_unique<SystemResult>();
      work(result.get());
      std::lock_guard<std::mutex> lock(gate->mutex);
      if (!gate->open) return;
      if (tsfn.NonBlockingCall(result.get()) == napi_ok) result.release();
      tsfn.Release();
    });
    return Napi::Value(env, promise);
  }

  Napi::Value Rejected(Napi::Env env, int code, const std::string& message) {
    napi_deferred deferred = nullptr;
    napi_value promise = nullptr;
    if (napi_create_promise(env, &deferred, &promise) != napi_ok) return env.Undefined();
    napi_reject_deferred(env, deferred, MakeError(env, code, message));
    return Napi::Value(env, promise);
  }

  Napi::Value Shutdown(const Napi::CallbackInfo& info) {
    if (inits_ == 0) return info.Env().Undefined();
    // The watcher holds an event set that nvmlShutdown would invalidate under it.
    if (inits_ == 1) StopWatcher();
    --inits_;
    pw::Release();
    return info.Env().Undefined();
  }

  Napi::Value DriverVersion(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pw::ApiPtr api = RequireApi(env);
    if (!api) return env.Undefined();
    if (api->systemGetDriverVersion == nullptr) {
      return Throw(env, NVML_ERROR_FUNCTION_NOT_FOUND, "nvmlSystemGetDriverVersion is missing");
    }
    char version[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE] = {};
    const nvmlReturn_t rc = api->systemGetDriverVersion(version, sizeof(version));
    if (rc != NVML_SUCCESS) return Throw(env, rc, "nvmlSystemGetDriverVersion failed");
    version[sizeof(version) - 1] = '\0';
    return Napi::String::New(env, version);
  }

  Napi::Value CudaDriverVersion(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pw::ApiPtr api = RequireApi(env);
    if (!api) return env.Undefined();
    int version = 0;
    std::string message;
    const nvmlReturn_t rc = ReadCudaDriverVersion(*api, &version, &message);
    if (rc != NVML_SUCCESS) return Throw(env, rc, message);
    return Napi::Number::New(env, version);
  }

  Napi::Value DeviceCount(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pw::ApiPtr api = RequireApi(env);
    if (!api) return env.Undefined();
    if (api->deviceGetCount == nullptr) {
      return Throw(env, NVML_ERROR_FUNCTION_NOT_FOUND, "nvmlDeviceGetCount_v2 is missing");
    }
    unsigned int count = 0;
    const nvmlReturn_t rc = api->deviceGetCount(&count);
    if (rc != NVML_SUCCESS) return Throw(env, rc, "nvmlDeviceGetCount_v2 failed");
    return Napi::Number::New(env, count);
  }

  Napi::Value MissingFunctions(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pw::ApiPtr api = RequireApi(env);
    if (!api) return env.Undefined();
    Napi::Array names = Napi::Array::New(env, api->missing.size());
    for (size_t i = 0; i < api->missing.size(); ++i) {
      names.Set(static_cast<uint32_t>(i), Napi::String::New(env, api->missing[i]));
    }
    return names;
  }

  // The compact form's layout, which native/device-fields.ts checks its own tables against.
  Napi::Value FieldNames(const Napi::CallbackInfo& info) {
    const auto& names = pw::FieldNames();
    Napi::Array list = Napi::Array::New(info.Env(), names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      list.Set(static_cast<uint32_t>(i), Napi::String::New(info.Env(), names[i]));
    }
    return list;
  }

  Napi::Value GroupNames(const Napi::CallbackInfo& info) {
    const auto names = pw::GroupNames();
    Napi::Array list = Napi::Array::New(info.Env(), names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      list.Set(static_cast<uint32_t>(i),
               Napi::String::New(info.Env(), names[i].data(), names[i].size()));
    }
    return list;
  }

  // readDevice(index: number, groups: number, numbers: Float64Array, codes: Int32Array):
  //   Promise<text fields>. `groups` has bit i for groupNames()[i]; numbers and codes have
  //   one slot per fieldNames() entry and are written when the promise resolves.
  Napi::Value ReadDevice(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const size_t fields = pw::FieldNames().size();
    if (info.Length() < 4 || !info[0].IsNumber() || !info[1].IsNumber() ||
        !IsTypedArrayOf(info[2], napi_float64_array, fields) ||
        !IsTypedArrayOf(info[3], napi_int32_array, fields)) {
      Napi::TypeError::New(env, "readDevice(index, groups, numbers, codes)")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const auto index = info[0].As<Napi::Number>().Uint32Value();
    const auto groups = info[1].As<Napi::Number>().Uint32Value();
    if (groups & ~static_cast<uint32_t>(pw::kAllGroups)) {
      Napi::TypeError::New(env, "unknown field group").ThrowAsJavaScriptException();
      return env.Undefined();
    }

    napi_deferred deferred = nullptr;
    napi_value promise = nullptr;
    if (napi_create_promise(env, &deferred, &promise) != napi_ok) return env.Undefined();
    pw::ApiPtr api = inits_ > 0 ? pw::Current() : nullptr;
    if (!api) {
      napi_reject_deferred(env, deferred, MakeError(env, NVML_ERROR_UNINITIALIZED, kUninitialized));
      return Napi::Value(env, promise);
    }
    // Every index gets a thread for the environment's lifetime, so indices that cannot
    // name a GPU are refused here, with the code NVML itself would give.
    if (deviceCount_ && index >= *deviceCount_) {
      napi_reject_deferred(env, deferred,
                           MakeError(env, NVML_ERROR_INVALID_ARGUMENT,
                                     "no GPU at index " + std::to_string(index) + " (" +
                                         std::to_string(*deviceCount_) + " present)"));
      return Napi::Value(env, promise);
    }
    auto gate = std::make_shared<TsfnGate>();
    auto* ctx = new ReadContext{deferred, this, gate,
                                Napi::Persistent(info[2].As<Napi::Float64Array>()),
                                Napi::Persistent(info[3].As<Napi::Int32Array>())};
    ReadTsfn tsfn = ReadTsfn::New(
        env, "proofwatch.nvml.readDevice", 0, 1, ctx,
        [](Napi::Env, void*, ReadContext* c) {
          c->gate->Close();
          delete c;
        },
        static_cast<void*>(nullptr));
    workers_.Post(index, [api = std::move(api), index, groups, tsfn, gate]() mutable {
      auto result = std::make_unique<ReadResult>();
      result->rc = pw::ReadDevice(*api, index, groups, &result->reading);
      std::lock_guard<std::mutex> lock(gate->mutex);
      if (!gate->open) return;
      if (tsfn.NonBlockingCall(result.get()) == napi_ok) result.release();
      tsfn.Release();
    });
    return Napi::Value(env, promise);
  }

  // startEvents(onEvent: (event) => void): Promise<void>, settled once watching has begun.
  // Registration asks the driver for a handle per GPU, so it runs on the system thread; the
  // watcher then waits on its own thread.
  Napi::Value StartEvents(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      Napi::TypeError::New(env, "startEvents expects a callback").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    pw::ApiPtr api = RequireApi(env);
    if (!api) return env.Undefined();
    if (registering_ || watcher_.Running()) {
      return Throw(env, NVML_ERROR_ALREADY_INITIALIZED, "XID events are already started");
    }
    std::string message;
    const nvmlReturn_t rc = pw::XidWatcher::CheckFunctions(api.get(), &message);
    if (rc != NVML_SUCCESS) return Throw(env, rc, message);
    auto gate = std::make_shared<TsfnGate>();
    XidTsfn tsfn = XidTsfn::New(
        env, info[0].As<Napi::Function>(), "proofwatch.nvml.xid", 0, 1, gate.get(),
        [](Napi::Env, GatePtr* owner, TsfnGate*) {
          (*owner)->Close();
          delete owner;
        },
        new GatePtr(gate));
    // Watching for faults must not by itself keep the process alive.
    tsfn.Unref(env);
    registering_ = ++eventsEpoch_;
    auto ctx = std::make_unique<SystemContext>();
    ctx->call = SystemCall::kEvents;
    ctx->epoch = *registering_;
    ctx->xid = std::make_unique<XidTsfn>(tsfn);
    ctx->xidGate = gate;
    return PostSystem(env, std::move(ctx), [api = std::move(api)](SystemResult* r) {
      r->rc = pw::XidWatcher::Register(*api, &r->registration, &r->message);
      r->api = api;
    });
  }

  // Starts the watcher on what the system thread registered, unless stopEvents() or the last
  // shutdown() came first.
  void SettleEvents(napi_env env, SystemContext* ctx, std::unique_ptr<SystemResult> result) {
    const bool wanted = registering_ && *registering_ == ctx->epoch;
    if (wanted) registering_.reset();
    std::string message = result->message;
    nvmlReturn_t rc = result->rc;
    if (wanted && rc == NVML_SUCCESS) {
      XidTsfn tsfn = *ctx->xid;
      GatePtr gate = ctx->xidGate;
      rc = watcher_.Start(
          result->api, &result->registration,
          [tsfn, gate](const pw::XidEvent& event) mutable {
            auto copy = std::make_unique<pw::XidEvent>(event);
            std::lock_guard<std::mutex> lock(gate->mutex);
            if (gate->open && tsfn.NonBlockingCall(copy.get()) == napi_ok) copy.release();
          },
          &message);
      if (rc == NVML_SUCCESS) xidTsfn_ = std::move(ctx->xid);
    }
    if (ctx->xid) ctx->xid->Release();
    // An event set nobody watches is freed by the system thread: nvmlEventSetFree is a driver
    // call too.
    if (result->api && result->registration.set != nullptr) {
      system_.Post(0, [unwanted = std::shared_ptr<SystemResult>(std::move(result))] {});
    }
    if (!wanted || rc == NVML_SUCCESS) {
      napi_value undefined = nullptr;
      if (napi_get_undefined(env, &undefined) == napi_ok) {
        napi_resolve_deferred(env, ctx->deferred, undefined);
      }
      return;
    }
    napi_value error = MakeErrorSafe(env, rc, message);
    if (error != nullptr) napi_reject_deferred(env, ctx->deferred, error);
  }

  static bool IsTypedArrayOf(Napi::Value value, napi_typedarray_type type, size_t length) {
    if (!value.IsTypedArray()) return false;
    Napi::TypedArray array = value.As<Napi::TypedArray>();
    return array.TypedArrayType() == type && array.ElementLength() == length;
  }

  Napi::Value StopEvents(const Napi::CallbackInfo& info) {
    StopWatcher();
    return info.Env().Undefined();
  }

  void StopWatcher() {
    // A registration still on the system thread is dropped when it arrives.
    registering_.reset();
    // Join first: once the thread is gone nobody else can call the TSFN we release.
    watcher_.Stop();
    if (xidTsfn_) {
      xidTsfn_->Release();
      xidTsfn_.reset();
    }
  }

  static constexpr const char* kUninitialized = "NVML is not initialized: call init() first";

  Napi::FunctionReference errorClass_;
  int inits_ = 0;
  std::optional<unsigned int> deviceCount_;
  pw::DeviceWorkers workers_;
  // One more queue of the same kind, for the calls that name no GPU (key 0).
  pw::DeviceWorkers system_;
  pw::XidWatcher watcher_;
  std::unique_ptr<XidTsfn> xidTsfn_;
  // The startEvents() whose registration is still on the system thread, by epoch.
  std::optional<uint64_t> registering_;
  uint64_t eventsEpoch_ = 0;
};

// The data of the typed array `ref` holds, or nullptr. Asked through the C API, which
// reports rather than throws: while a worker's environment is torn down its references are
// already released, and a throw from a thread-safe function's callback then aborts Node.
void* ArrayData(napi_env env, napi_ref ref, size_t length) {
  napi_value value = nullptr;
  size_t actual = 0;
  void* data = nullptr;
  if (napi_get_reference_value(env, ref, &value) != napi_ok || value == nullptr ||
      napi_get_typedarray_info(env, value, nullptr, &actual, &data, nullptr, nullptr) != napi_ok ||
      actual != length) {
    return nullptr;
  }
  return data;
}

void DeliverReading(Napi::Env env, Napi::Function, ReadContext* ctx, ReadResult* raw) {
  std::unique_ptr<ReadResult> result(raw);
  if (env == nullptr || !result) return;  // environment going away: nobody to tell
  if (result->rc != NVML_SUCCESS) {
    const std::string message = "cannot open GPU " + std::to_string(result->reading.index) +
                                ": " + pw::ReturnCodeName(result->rc);
    napi_value error = ctx->addon->MakeErrorSafe(env, result->rc, message);
    if (error != nullptr) napi_reject_deferred(env, ctx->deferred, error);
    return;
  }
  const size_t fields = pw::FieldNames().size();
  auto* numbers = static_cast<double*>(ArrayData(env, ctx->numbers, fields));
  auto* codes = static_cast<int32_t*>(ArrayData(env, ctx->codes, fields));
  if (numbers == nullptr || codes == nullptr) return;
  SafeJs js(env);
  CompactFieldWriter writer{js, js.Object(), numbers};
  result->reading.ForEachField(writer);
  std::fill(codes, codes + fields, 0);
  for (const auto& [field, code] : result->reading.errors) {
    const int i = pw::FieldIndex(field);
    if (i >= 0) codes[i] = code;
  }
  if (js.ok()) napi_resolve_deferred(env, ctx->deferred, writer.text);
}

void DeliverSystem(Napi::Env env, Napi::Function, SystemContext* ctx, SystemResult* raw) {
  std::unique_ptr<SystemResult> result(raw);
  if (env == nullptr || !result) return;  // environment going away: the result gives back its hold
  ctx->addon->Settle(env, ctx, std::move(result));
}

void DeliverXid(Napi::Env env, Napi::Function callback, TsfnGate*, pw::XidEvent* raw) {
  std::unique_ptr<pw::XidEvent> event(raw);
  if (env == nullptr || !event) return;
  SafeJs js(env);
  napi_value o = js.Object();
  js.Set(o, "index", js.Number(event->index));
  js.Set(o, "uuid", js.String(event->uuid));
  js.Set(o, "xid", js.Number(static_cast<double>(event->xid)));
  napi_value self = nullptr;
  if (!js.ok() || napi_get_undefined(env, &self) != napi_ok) return;
  // A throwing callback stays pending here and surfaces as an uncaught exception, as any
  // event listener's would.
  napi_call_function(env, self, callback, 1, &o, nullptr);
}

}  // namespace

NODE_API_ADDON(NvmlAddon)
